"""The job store: job state, progress, results and idempotency keys in SQLite (stdlib ``sqlite3``).

Every SQL statement of the gateway lives here, behind ``JobStore``'s methods, and is
portable (``?`` placeholders aside, which a DB-API driver for PostgreSQL spells
``%s``): no SQLite-only syntax beyond the pragmas the embedded store needs (WAL,
``synchronous=NORMAL``). Times are Unix seconds in ``DOUBLE PRECISION`` columns
(PostgreSQL's ``REAL`` is 4 bytes: far too coarse for them).

One row per job. Results are stored as JSON text when a job finishes, so a restarted
gateway still serves every finished result. A job that ends (done, failed,
cancelled) gets ``expires_at`` = end + ``retention_s``; the retention sweep deletes
it after that. Idempotency keys have their own table (primary key on the key), so
two submits racing with one key cannot both create a job. ``recover()`` runs at
start-up: jobs left *running* by a stopped gateway are marked failed with the
reason, jobs still *queued* are handed back to be run again.
While a job runs, its result column holds the partial result's head (``partial:
true``, video facts, ``processed_s``) and each finished shot is a row of
``job_shots`` (written as it finishes, so nothing is rewritten per shot);
``partial_result`` joins them. Ending a job (done, failed, cancelled) and deleting
it clear its rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gateway.job import Job

__all__ = ["INTERRUPTED", "Job", "JobStore", "KeyTaken"]

SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        progress DOUBLE PRECISION NOT NULL DEFAULT 0,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        webhook_url TEXT,
        error TEXT,
        result TEXT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS idempotency_keys (
        idem_key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        job_id TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS job_shots (
        job_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (job_id, idx)
    )
    """,
)
# Columns added after the first release: added to an existing database at start-up.
ADDED_COLUMNS = {"metadata": "TEXT", "expires_at": "DOUBLE PRECISION"}
INDEXES = (
    "CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at, id)",
    "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS jobs_by_expiry ON jobs (expires_at)",
    "CREATE INDEX IF NOT EXISTS idempotency_by_job ON idempotency_keys (job_id)",
)
COLUMNS = "id, status, progress, created_at, updated_at, options, webhook_url, error, result, metadata, expires_at"
INTERRUPTED = "interrupted: the gateway stopped while this job was running; upload the video again"
DEFAULT_RETENTION_S = 7 * 24 * 3600.0
DEFAULT_KEY_TTL_S = 24 * 3600.0


class KeyTaken(Exception):
    """``create`` found its idempotency key already stored (a concurrent submit won)."""


def _job(row: tuple[Any, ...]) -> Job:
    return Job(
        row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7],
        json.loads(row[8]) if row[8] else None,
        metadata=json.loads(row[9]) if row[9] else None,
        expires_at=row[10],
    )


class JobStore:
    def __init__(
        self, path: Path, retention_s: float = DEFAULT_RETENTION_S, key_ttl_s: float = DEFAULT_KEY_TTL_S
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.retention_s = retention_s
        self.key_ttl_s = key_ttl_s
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: no corruption on a crash, no fsync per update on the event loop
            # (a power cut may lose the last updates, not the database).
            self._db.execute("PRAGMA synchronous=NORMAL")
            for statement in SCHEMA:
                self._db.execute(statement)
            present = {d[0] for d in self._db.execute("SELECT * FROM jobs WHERE 1 = 0").description}
            for name, kind in ADDED_COLUMNS.items():
                if name not in present:
                    self._db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
            for statement in INDEXES:
                self._db.execute(statement)
            self._db.execute(  # jobs that ended before retention existed expire from their end
                "UPDATE jobs SET expires_at = updated_at + ? "
                "WHERE expires_at IS NULL AND status NOT IN ('queued', 'running')",
                (retention_s,),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def create(
        self,
        job_id: str,
        options: dict[str, Any],
        webhook_url: str | None = None,
        *,
        metadata: dict[str, Any] | None = None,
        idempotency: tuple[str, str] | None = None,
    ) -> Job:
        """Insert a queued job, and with ``idempotency=(key, fingerprint)`` its key (KeyTaken if stored)."""
        now = time.time()
        with self._transaction() as db:
            if idempotency is not None:
                db.execute(  # a key past its window is free again, swept or not
                    "DELETE FROM idempotency_keys WHERE idem_key = ? AND created_at < ?",
                    (idempotency[0], now - self.key_ttl_s),
                )
                try:
                    db.execute(
                        "INSERT INTO idempotency_keys (idem_key, fingerprint, job_id, created_at) VALUES (?, ?, ?, ?)",
                        (*idempotency, job_id, now),
                    )
                except sqlite3.IntegrityError as exc:
                    raise KeyTaken(idempotency[0]) from exc
            db.execute(
                "INSERT INTO jobs (id, status, progress, created_at, updated_at, options, webhook_url, metadata) "
                "VALUES (?, 'queued', 0, ?, ?, ?, ?, ?)",
                (job_id, now, now, json.dumps(options), webhook_url, json.dumps(metadata) if metadata else None),
            )
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: str) -> Job | None:
        rows = self._execute(f"SELECT {COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return _job(rows[0]) if rows else None

    def list_jobs(self, status: str | None, limit: int, after: tuple[float, str] | None = None) -> list[Job]:
        """Jobs newest first (``limit`` of them), optionally of one status, older than ``after``."""
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if after is not None:
            where.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params.extend([after[0], after[0], after[1]])
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        rows = self._execute(
            f"SELECT {COLUMNS} FROM jobs {clause}ORDER BY created_at DESC, id DESC LIMIT ?", (*params, limit)
        )
        return [_job(row) for row in rows]

    def _update(self, job_id: str, **fields: Any) -> None:
        names = ", ".join(f"{k} = ?" for k in fields)
        self._execute(
            f"UPDATE jobs SET {names}, updated_at = ? WHERE id = ?",
            (*fields.values(), time.time(), job_id),
        )

    def start(self, job_id: str) -> bool:
        """queued -> running; False when the job is no longer queued (cancelled, deleted)."""
        now = time.time()
        with self._lock:
            cursor = self._db.execute(
                "UPDATE jobs SET status = 'running', updated_at = ? WHERE id = ? AND status = 'queued'", (now, job_id)
            )
            return cursor.rowcount == 1

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
        self._execute(
            "UPDATE jobs SET result = ?, updated_at = ? WHERE id = ? AND status = 'running'",
            (json.dumps({**head, "shots": []}), time.time(), job_id),
        )

    def add_shots(self, job_id: str, shots: list[dict[str, Any]]) -> None:
        with self._lock:
            self._db.executemany(  # only while the job runs: an ended or deleted job keeps no rows
                "INSERT OR REPLACE INTO job_shots (job_id, idx, body) SELECT ?, ?, ? "
                "WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ? AND status = 'running')",
                [(job_id, shot["index"], json.dumps(shot), job_id) for shot in shots],
            )

    def partial_result(self, job: Job) -> dict[str, Any] | None:
        """A running job's result so far: its head with the finished shots, in order."""
        if job.status != "running" or job.result is None:
            return None
        rows = self._execute("SELECT body FROM job_shots WHERE job_id = ? ORDER BY idx", (job.id,))
        return {**job.result, "shots": [json.loads(r[0]) for r in rows]}

    def _end(self, job_id: str, status: str, **fields: Any) -> bool:
        """Set a final status on a job that has not ended yet; whether it had not."""
        now = time.time()
        names = "".join(f", {k} = ?" for k in fields)
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE jobs SET status = ?, updated_at = ?, expires_at = ?{names} "
                "WHERE id = ? AND status IN ('queued', 'running')",
                (status, now, now + self.retention_s, *fields.values(), job_id),
            )
            self._db.execute("DELETE FROM job_shots WHERE job_id = ?", (job_id,))  # partial shots
            return cursor.rowcount == 1

    def finish(self, job_id: str, result: dict[str, Any]) -> bool:
        return self._end(job_id, "done", progress=1.0, result=json.dumps(result))

    def fail(self, job_id: str, error: str) -> bool:
        return self._end(job_id, "failed", error=error, result=None)

    def cancel(self, job_id: str) -> bool:
        """queued or running -> cancelled; False when the job had already ended or does not exist."""
        return self._end(job_id, "cancelled", error="cancelled by the client", result=None)

    def delete(self, job_id: str) -> bool:
        """Remove the job, its partial shots and its idempotency keys; whether it existed."""
        with self._transaction() as db:
            db.execute("DELETE FROM idempotency_keys WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM job_shots WHERE job_id = ?", (job_id,))
            return db.execute("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount == 1

    def count(self, status: str) -> int:
        return int(self._execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,))[0][0])

    def statuses(self, job_ids: list[str]) -> dict[str, str]:
        """The status of each of ``job_ids`` that exists."""
        found: dict[str, str] = {}
        for start in range(0, len(job_ids), 500):
            chunk = job_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            found.update(self._execute(f"SELECT id, status FROM jobs WHERE id IN ({marks})", tuple(chunk)))
        return found

    def expired(self, now: float) -> list[str]:
        """Ended jobs whose retention period is over."""
        rows = self._execute("SELECT id FROM jobs WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,))
        return [r[0] for r in rows]

    def find_key(self, key: str) -> tuple[str, str] | None:
        """(job id, request fingerprint) stored for an idempotency key within its window."""
        rows = self._execute(
            "SELECT job_id, fingerprint FROM idempotency_keys WHERE idem_key = ? AND created_at >= ?",
            (key, time.time() - self.key_ttl_s),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def forget_keys(self, now: float | None = None) -> int:
        """Delete the idempotency keys whose window is over at ``now``; how many."""
        before = (time.time() if now is None else now) - self.key_ttl_s
        with self._lock:
            return self._db.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (before,)).rowcount

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

