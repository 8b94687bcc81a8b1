"""The job store: job state, progress and results in SQLite (stdlib ``sqlite3``).

One row per job. Results are stored as JSON text when a job finishes, so a restarted
gateway still serves every finished result. ``recover()`` runs at start-up: jobs
left *running* by a stopped gateway are marked failed with the reason, jobs still
*queued* are handed back to be run again (their files are still on disk).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    webhook_url TEXT,
    error TEXT,
    result TEXT
)
"""
INTERRUPTED = "interrupted: the gateway stopped while this job was running; upload the video again"


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

    def status_body(self, status_url: str | None = None) -> dict[str, Any]:
        """The ``GET /v1/videos/{id}`` body."""
        body: dict[str, Any] = {"id": self.id, "status": self.status, "progress": round(self.progress, 4)}
        if status_url:
            body["status_url"] = status_url
        if self.result is not None:
            body["result"] = self.result
        if self.error is not None:
            body["error"] = self.error
        return body


class JobStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def create(self, job_id: str, options: dict[str, Any], webhook_url: str | None = None) -> Job:
        now = time.time()
        self._execute(
            "INSERT INTO jobs (id, status, progress, created_at, updated_at, options, webhook_url) "
            "VALUES (?, 'queued', 0, ?, ?, ?, ?)",
            (job_id, now, now, json.dumps(options), webhook_url),
        )
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: str) -> Job | None:
        rows = self._execute(
            "SELECT id, status, progress, created_at, updated_at, options, webhook_url, error, result "
            "FROM jobs WHERE id = ?",
            (job_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return Job(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], json.loads(r[8]) if r[8] else None)

    def _update(self, job_id: str, **fields: Any) -> None:
        names = ", ".join(f"{k} = ?" for k in fields)
        self._execute(
            f"UPDATE jobs SET {names}, updated_at = ? WHERE id = ?",
            (*fields.values(), time.time(), job_id),
        )

    def start(self, job_id: str) -> None:
        self._update(job_id, status="running")

    def progress(self, job_id: str, progress: float) -> None:
        self._update(job_id, progress=min(1.0, max(0.0, progress)))

    def finish(self, job_id: str, result: dict[str, Any]) -> None:
        self._update(job_id, status="done", progress=1.0, result=json.dumps(result))

    def fail(self, job_id: str, error: str) -> None:
        self._update(job_id, status="failed", error=error)

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` jobs, newest first, without their results."""
        rows = self._execute(
            "SELECT id, status, progress, created_at, updated_at, options, error "
            "FROM jobs ORDER BY created_at DESC LIMIT ?",
            (limit,),
        )
        keys = ("id", "status", "progress", "created_at", "updated_at", "options", "error")
        return [{**dict(zip(keys, row, strict=True)), "options": json.loads(row[5])} for row in rows]

    def recover(self) -> tuple[list[str], list[str]]:
        """Fail the jobs a stopped gateway left running; (those, the queued ones oldest first)."""
        interrupted = [r[0] for r in self._execute("SELECT id FROM jobs WHERE status = 'running'")]
        for job_id in interrupted:
            self.fail(job_id, INTERRUPTED)
        queued = [r[0] for r in self._execute("SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at")]
        return interrupted, queued
