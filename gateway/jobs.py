"""The job store: job state, the job queue, idempotency keys and the webhook outbox.

Every SQL statement of the gateway lives here, in ``gateway/outbox.py`` and
``gateway/partials.py``, written once for both databases (``?`` placeholders, which
the PostgreSQL store spells ``%s``); ``gateway/store_sqlite.py`` and
``gateway/store_postgres.py`` only supply connections, transactions and the
migration lock. ``gateway/store.py`` picks one
from ``EMO_GATEWAY_DATABASE_URL``.

The table is the queue. A worker *claims* the oldest queued job (PostgreSQL: ``FOR
UPDATE SKIP LOCKED``, so concurrent workers never take the same row), setting a
``lease_until`` it renews while the job runs and a ``lease_token`` of its own; a job
whose lease ran out (its worker died) is claimable again, and after ``max_attempts``
lost leases it fails. A job ends (done, failed, cancelled) once: the end is written
only while the job is active and, for a worker, only while it still holds the lease,
so a worker that lost its lease cannot overwrite the result of the one that took
over. The end and its webhook event are written in one transaction (an outbox).

A job that ends gets ``expires_at`` = end + ``retention_s``; the retention sweep
deletes it after that. Idempotency keys have their own table (primary key on the
key), so two submits racing with one key cannot both create a job.

Running jobs' partial results: ``gateway/partials.py``.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import Any

from gateway.job import COLUMNS, Job, from_row
from gateway.outbox import Outbox, Run
from gateway.partials import PartialResults

__all__ = ["INTERRUPTED", "Job", "JobStore", "KeyTaken"]

ACTIVE_SQL = "('queued', 'running')"
INTERRUPTED = "interrupted: the gateway stopped while this job was running; upload the video again"
DEFAULT_RETENTION_S = 7 * 24 * 3600.0
DEFAULT_KEY_TTL_S = 24 * 3600.0


class KeyTaken(Exception):
    """``create`` found its idempotency key already stored (a concurrent submit won)."""


class JobStore(Outbox, PartialResults, ABC):
    """Portable job state and queue; subclasses supply ``_transaction`` and ``close``."""

    #: True when several processes share the store (a job running elsewhere is not ours to fail).
    shared = False
    #: Row locking for the claim sub-selects (PostgreSQL: ``FOR UPDATE SKIP LOCKED``).
    skip_locked = ""

    def __init__(self, retention_s: float = DEFAULT_RETENTION_S, key_ttl_s: float = DEFAULT_KEY_TTL_S) -> None:
        self.retention_s = retention_s
        self.key_ttl_s = key_ttl_s

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Run]:
        """One transaction: yields ``run(sql, params) -> cursor``; commits on exit, rolls back on error."""

    @abstractmethod
    def close(self) -> None: ...

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._transaction() as run:
            return list(run(sql, params).fetchall())

    def _changed(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self._transaction() as run:
            return int(run(sql, params).rowcount)

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
        with self._transaction() as run:
            if idempotency is not None:
                run(  # a key past its window is free again, swept or not
                    "DELETE FROM idempotency_keys WHERE idem_key = ? AND created_at < ?",
                    (idempotency[0], now - self.key_ttl_s),
                )
                stored = run(
                    "INSERT INTO idempotency_keys (idem_key, fingerprint, job_id, created_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (idem_key) DO NOTHING",
                    (*idempotency, job_id, now),
                ).rowcount
                if stored != 1:
                    raise KeyTaken(idempotency[0])
            run(
                "INSERT INTO jobs (id, status, progress, created_at, updated_at, options, webhook_url, metadata) "
                "VALUES (?, 'queued', 0, ?, ?, ?, ?, ?)",
                (job_id, now, now, json.dumps(options), webhook_url, json.dumps(metadata) if metadata else None),
            )
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: str) -> Job | None:
        rows = self._rows(f"SELECT {COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return from_row(rows[0]) if rows else None

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
        rows = self._rows(
            f"SELECT {COLUMNS} FROM jobs {clause}ORDER BY created_at DESC, id DESC LIMIT ?", (*params, limit)
        )
        return [from_row(row) for row in rows]

    def claim(
        self, owner: str, token: str, lease_s: float, job_id: str | None = None, max_attempts: int = 3
    ) -> Job | None:
        """Take the oldest claimable job (or ``job_id``) under a lease: queued, or running with its lease over.

        A job whose lease ran out ``max_attempts`` times fails instead (its webhook says why).
        """
        now = time.time()
        expired = "status = 'running' AND lease_until IS NOT NULL AND lease_until < ?"
        with self._transaction() as run:
            lost = run(
                f"SELECT id, attempts FROM jobs WHERE {expired} AND attempts >= ? {self.skip_locked}",
                (now, max_attempts),
            ).fetchall()
            for lost_id, attempts in lost:
                error = f"its worker stopped {attempts} times while running it (lease expired); giving up"
                self._end_in(run, lost_id, "failed", now, None, error=error, result=None)
            only = "id = ?" if job_id else "1 = 1"
            rows = run(
                f"UPDATE jobs SET status = 'running', lease_owner = ?, lease_token = ?, lease_until = ?, "
                f"attempts = attempts + 1, updated_at = ? WHERE id = (SELECT id FROM jobs WHERE {only} AND "
                f"(status = 'queued' OR ({expired})) ORDER BY created_at, id LIMIT 1 {self.skip_locked}) "
                "RETURNING id",
                (owner, token, now + lease_s, now, *((job_id,) if job_id else ()), now),
            ).fetchall()
        return self.get(rows[0][0]) if rows else None

    def renew(self, job_id: str, token: str, lease_s: float) -> bool:
        """Extend the lease; False when it is no longer held (cancelled, deleted, or taken over)."""
        now = time.time()
        return self._changed(
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_token = ? AND status = 'running'",
            (now + lease_s, job_id, token),
        ) == 1

    def release(self, job_id: str, token: str) -> bool:
        """Hand a running job back to the queue (its worker is stopping); whether it was still held."""
        with self._transaction() as run:
            released = run(
                "UPDATE jobs SET status = 'queued', progress = 0, result = NULL, processed_s = NULL, "
                "lease_owner = NULL, lease_token = NULL, lease_until = NULL, attempts = attempts - 1, updated_at = ? "
                "WHERE id = ? AND lease_token = ? AND status = 'running'",
                (time.time(), job_id, token),
            ).rowcount == 1
            if released:
                run("DELETE FROM job_shots WHERE job_id = ?", (job_id,))
            return bool(released)

    def progress(
        self, job_id: str, progress: float, token: str | None = None, processed_s: float | None = None
    ) -> None:
        held = "" if token is None else " AND lease_token = ?"
        seconds = "" if processed_s is None else ", processed_s = ?"
        self._changed(
            f"UPDATE jobs SET progress = ?, updated_at = ?{seconds} WHERE id = ?{held}",
            (
                min(1.0, max(0.0, progress)), time.time(), *(() if processed_s is None else (processed_s,)),
                job_id, *(() if token is None else (token,)),
            ),
        )

    def _end_in(self, run: Run, job_id: str, status: str, now: float, token: str | None, **fields: Any) -> bool:
        """Within a transaction: the final status and, for a job with a webhook, its event."""
        names = "".join(f", {k} = ?" for k in fields)
        held = "" if token is None else " AND lease_token = ?"
        changed = run(
            f"UPDATE jobs SET status = ?, updated_at = ?, expires_at = ?, lease_until = NULL{names} "
            f"WHERE id = ? AND status IN {ACTIVE_SQL}{held}",
            (status, now, now + self.retention_s, *fields.values(), job_id, *(() if token is None else (token,))),
        ).rowcount == 1
        if changed:
            run("DELETE FROM job_shots WHERE job_id = ?", (job_id,))  # the partial result's shots
            row = run(f"SELECT {COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchall()[0]
            job = from_row(row)
            if job.webhook_url:
                self.add_event(run, job, now)
        return changed

    def _end(self, job_id: str, status: str, token: str | None, **fields: Any) -> bool:
        """Set a final status on a job that has not ended yet; whether it had not."""
        with self._transaction() as run:
            return self._end_in(run, job_id, status, time.time(), token, **fields)

    def finish(self, job_id: str, result: dict[str, Any], token: str | None = None) -> bool:
        return self._end(job_id, "done", token, progress=1.0, result=json.dumps(result))

    def fail(self, job_id: str, error: str, token: str | None = None) -> bool:
        return self._end(job_id, "failed", token, error=error, result=None)

    def cancel(self, job_id: str) -> bool:
        """queued or running -> cancelled; False when the job had already ended or does not exist."""
        return self._end(job_id, "cancelled", None, error="cancelled by the client", result=None)

    def delete(self, job_id: str) -> bool:
        """Remove the job, its partial shots, idempotency keys and sent webhook events (unsent ones go out); whether it existed."""
        with self._transaction() as run:
            run("DELETE FROM idempotency_keys WHERE job_id = ?", (job_id,))
            run("DELETE FROM job_shots WHERE job_id = ?", (job_id,))
            run("DELETE FROM webhook_events WHERE job_id = ? AND (delivered_at IS NOT NULL OR gave_up_at IS NOT NULL)",
                (job_id,))
            return int(run("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount) == 1

    def count(self, status: str) -> int:
        return int(self._rows("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,))[0][0])

    def statuses(self, job_ids: list[str]) -> dict[str, str]:
        """The status of each of ``job_ids`` that exists."""
        found: dict[str, str] = {}
        for start in range(0, len(job_ids), 500):
            chunk = job_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            found.update(self._rows(f"SELECT id, status FROM jobs WHERE id IN ({marks})", tuple(chunk)))
        return found

    def expired(self, now: float) -> list[str]:
        """Ended jobs whose retention period is over."""
        rows = self._rows("SELECT id FROM jobs WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,))
        return [r[0] for r in rows]

    def find_key(self, key: str) -> tuple[str, str] | None:
        """(job id, request fingerprint) stored for an idempotency key within its window."""
        rows = self._rows(
            "SELECT job_id, fingerprint FROM idempotency_keys WHERE idem_key = ? AND created_at >= ?",
            (key, time.time() - self.key_ttl_s),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def forget_keys(self, now: float | None = None) -> int:
        """Delete the idempotency keys whose window is over at ``now``; how many."""
        before = (time.time() if now is None else now) - self.key_ttl_s
        return self._changed("DELETE FROM idempotency_keys WHERE created_at < ?", (before,))

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` jobs, newest first, without their results."""
        rows = self._rows(
            "SELECT id, status, progress, created_at, updated_at, options, error "
            "FROM jobs ORDER BY created_at DESC LIMIT ?",
            (limit,),
        )
        keys = ("id", "status", "progress", "created_at", "updated_at", "options", "error")
        return [{**dict(zip(keys, row, strict=True)), "options": json.loads(row[5])} for row in rows]

    def recover(self) -> tuple[list[str], list[str]]:
        """At start-up: (jobs failed as interrupted, queued jobs oldest first).

        A store of one process (SQLite) fails the jobs it left running when it stopped;
        a shared store fails none (another process may be running them: a lost worker's
        job is claimed again once its lease expires).
        """
        interrupted: list[str] = []
        if not self.shared:
            interrupted = [r[0] for r in self._rows("SELECT id FROM jobs WHERE status = 'running'")]
            for job_id in interrupted:
                self.fail(job_id, INTERRUPTED)
        queued = [r[0] for r in self._rows("SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, id")]
        return interrupted, queued
