"""One job as the API shows it: its record, and the status and list bodies made from it.

Times are stored as Unix seconds and shown as ISO 8601 UTC strings. ``video`` holds
the facts probed at upload (duration, fps, size), so the list can show them before
any result exists; ``metadata`` is the client's own JSON object, echoed as sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from emocore.errors import NotFound

COLUMNS = "id, status, progress, created_at, updated_at, options, webhook_url, error, result, metadata, expires_at"
STATUSES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE = ("queued", "running")
T = TypeVar("T")


def iso(timestamp: float | None) -> str | None:
    """Unix seconds as ``2026-11-28T21:40:00.123Z`` (None stays None)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    progress: float
    created_at: float
    updated_at: float
    options: dict[str, Any]
    webhook_url: str | None
    error: str | None
    result: dict[str, Any] | None
    metadata: dict[str, Any] | None = None
    expires_at: float | None = None

    def summary(self, status_url: str | None = None) -> dict[str, Any]:
        """What the job list shows: everything but the result."""
        body: dict[str, Any] = {"id": self.id, "status": self.status, "progress": round(self.progress, 4)}
        if status_url:
            body["status_url"] = status_url
        body.update(
            created_at=iso(self.created_at),
            updated_at=iso(self.updated_at),
            expires_at=iso(self.expires_at),
            video=self.options.get("video"),
            metadata=self.metadata,
        )
        if self.error is not None:
            body["error"] = self.error
        return body

    def status_body(self, status_url: str | None = None) -> dict[str, Any]:
        """The ``GET /v1/videos/{id}`` body (and the webhook's): the summary plus the result."""
        body = self.summary(status_url)
        if self.result is not None:
            body["result"] = self.result
        return body


def from_row(row: tuple[Any, ...]) -> Job:
    """A ``Job`` from a row of ``SELECT {COLUMNS} FROM jobs``."""
    return Job(
        row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7],
        json.loads(row[8]) if row[8] else None,
        metadata=json.loads(row[9]) if row[9] else None,
        expires_at=row[10],
    )


def find_job(job_id: str, lookup: Callable[[str], T | None]) -> T:
    """``lookup(job_id)`` for an id that can name a job (32 letters and digits); NotFound otherwise.

    Any other id is refused without a query, and what no lookup finds is a 404 naming the id.
    """
    found = lookup(job_id) if len(job_id) == 32 and job_id.isalnum() else None
    if found is None:
        raise NotFound(f"no job {job_id[:64]!r}")
    return found
