"""The job store: job state, progress and results in SQLite (stdlib ``sqlite3``).

One row per job. Results are stored as JSON text when a job finishes, so a restarted
gateway still serves every finished result. While a job runs, its result column
holds the partial result's head (``partial: true``, video facts, ``processed_s``)
and each finished shot is a row of ``job_shots`` (written as it finishes, so
nothing is rewritten per shot); ``partial_result`` joins them, and finishing or
failing the job clears the rows. ``recover()`` runs at start-up: jobs
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
SHOTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS job_shots (
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (job_id, idx)
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
            self._db.execute(SHOTS_SCHEMA)

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

    def progress(self, job_id: str, progress: float, processed_s: float | None = None) -> None:
        self._update(job_id, progress=min(1.0, max(0.0, progress)))
        if processed_s is not None:
            self._execute(
                "UPDATE jobs SET result = json_set(result, '$.processed_s', ?) "
                "WHERE id = ? AND status = 'running' AND result IS NOT NULL",
                (round(processed_s, 3), job_id),
            )

    def partial(self, job_id: str, head: dict[str, Any]) -> None:
        """Start a running job's partial result: its head (``shots`` come from ``add_shots``)."""
        self._update(job_id, result=json.dumps({**head, "shots": []}))

    def add_shots(self, job_id: str, shots: list[dict[str, Any]]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO job_shots (job_id, idx, body) VALUES (?, ?, ?)",
                [(job_id, shot["index"], json.dumps(shot)) for shot in shots],
            )

    def partial_result(self, job: Job) -> dict[str, Any] | None:
        """A running job's result so far: its head with the finished shots, in order."""
        if job.status != "running" or job.result is None:
            return None
        rows = self._execute("SELECT body FROM job_shots WHERE job_id = ? ORDER BY idx", (job.id,))
        return {**job.result, "shots": [json.loads(r[0]) for r in rows]}

    def finish(self, job_id: str, result: dict[str, Any]) -> None:
        self._update(job_id, status="done", progress=1.0, result=json.dumps(result))
        self._execute("DELETE FROM job_shots WHERE job_id = ?", (job_id,))

    def fail(self, job_id: str, error: str) -> None:
        self._update(job_id, status="failed", error=error, result=None)
        self._execute("DELETE FROM job_shots WHERE job_id = ?", (job_id,))

    def recover(self) -> tuple[list[str], list[str]]:
        """Fail the jobs a stopped gateway left running; (those, the queued ones oldest first)."""
        interrupted = [r[0] for r in self._execute("SELECT id FROM jobs WHERE status = 'running'")]
        for job_id in interrupted:
            self.fail(job_id, INTERRUPTED)
        queued = [r[0] for r in self._execute("SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at")]
        return interrupted, queued
