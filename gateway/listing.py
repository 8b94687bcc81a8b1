"""Paging the job list: the status filter and the opaque cursor.

The list is ordered newest first by (created_at, id); a cursor is the position of
the last job of a page, ``base64url(json([created_at, id]))``. Clients treat it as
opaque; a cursor that does not decode to that shape is a 422, never a guess.
"""

from __future__ import annotations

import base64
import binascii
import json

from emocore.errors import InvalidInput
from gateway.job import STATUSES, Job

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def check_status(status: str | None) -> str | None:
    if status is None or status == "":
        return None
    if status not in STATUSES:
        raise InvalidInput(
            f"unknown status filter {status[:40]!r}; use one of: {', '.join(STATUSES)}", code="invalid_status"
        )
    return status


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}", code="invalid_limit")
    return limit


def encode_cursor(job: Job) -> str:
    raw = json.dumps([job.created_at, job.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[float, str] | None:
    """The position a cursor stands for; InvalidInput when it is not one this API gave out."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, job_id = json.loads(raw)
        if isinstance(created_at, bool) or not isinstance(created_at, int | float) or not isinstance(job_id, str):
            raise ValueError("wrong shape")
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"malformed cursor {cursor[:40]!r}: pass the next_cursor of a previous page unchanged",
            code="invalid_cursor",
        ) from exc
    return float(created_at), job_id
