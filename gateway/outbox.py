"""The webhook outbox in the job store: events written with a job's end, claimed and marked by senders.

An event is a row of ``webhook_events``, inserted in the transaction that ends its
job, so a job never ends without its event and an event never exists for a job that
did not end. Its ``body`` is the exact JSON text that is POSTed (and signed):
``event_id``, ``event`` (``job.done|failed|cancelled``), ``job_id`` and the job's
status body. Senders in any process claim due events for ``claim_s`` (PostgreSQL:
``FOR UPDATE SKIP LOCKED``), POST them, and mark each delivered, due again later
(backoff), or given up; a sender that dies leaves its claim to expire, so delivery is
at least once and a receiver drops duplicates by ``event_id``.
"""

from __future__ import annotations

import json
import time
import uuid
from abc import abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from gateway.job import Job

Run = Callable[[str, tuple[Any, ...]], Any]


@dataclass(frozen=True)
class Event:
    id: str
    job_id: str
    event: str
    url: str
    body: str
    attempts: int
    delivered_at: float | None = None


class Outbox:
    """The outbox half of the job store (mixed into ``JobStore``)."""

    skip_locked = ""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Run]: ...

    def add_event(self, run: Run, job: Job, now: float) -> str:
        """Within the transaction that ended ``job``: its webhook event; the event id."""
        assert job.webhook_url is not None
        event_id = uuid.uuid4().hex
        event = f"job.{job.status}"
        body = {"event_id": event_id, "event": event, "job_id": job.id, **job.status_body(f"/v1/videos/{job.id}")}
        run(
            "INSERT INTO webhook_events (id, job_id, event, url, body, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (event_id, job.id, event, job.webhook_url, json.dumps(body), now, now),
        )
        return event_id

    def claim_events(self, limit: int, claim_s: float) -> list[Event]:
        """Up to ``limit`` due, undelivered events, held for ``claim_s`` by the caller."""
        now = time.time()
        with self._transaction() as run:
            rows = run(
                "UPDATE webhook_events SET claimed_until = ?, attempts = attempts + 1 WHERE id IN ("
                "SELECT id FROM webhook_events WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_at <= ? "
                f"AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_at LIMIT ? {self.skip_locked}) "
                "RETURNING id, job_id, event, url, body, attempts",
                (now + claim_s, now, now, limit),
            ).fetchall()
        return [Event(*row) for row in rows]

    def delivered(self, event_id: str) -> None:
        with self._transaction() as run:
            run("UPDATE webhook_events SET delivered_at = ?, claimed_until = NULL WHERE id = ?", (time.time(), event_id))

    def retry_later(self, event_id: str, delay_s: float, error: str) -> None:
        with self._transaction() as run:
            run(
                "UPDATE webhook_events SET next_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
                (time.time() + delay_s, error[:500], event_id),
            )

    def give_up(self, event_id: str, error: str) -> None:
        with self._transaction() as run:
            run(
                "UPDATE webhook_events SET gave_up_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
                (time.time(), error[:500], event_id),
            )

    def events(self, job_id: str) -> list[Event]:
        """A job's webhook events, oldest first (the last is its final one)."""
        with self._transaction() as run:
            rows = run(
                "SELECT id, job_id, event, url, body, attempts, delivered_at FROM webhook_events "
                "WHERE job_id = ? ORDER BY created_at, id",
                (job_id,),
            ).fetchall()
        return [Event(*row) for row in rows]

    def forget_events(self, before: float) -> int:
        """Delete the events delivered or given up before ``before``; how many."""
        with self._transaction() as run:
            return int(run(
                "DELETE FROM webhook_events WHERE (delivered_at IS NOT NULL AND delivered_at < ?) "
                "OR (gave_up_at IS NOT NULL AND gave_up_at < ?)",
                (before, before),
            ).rowcount)

    def pending_events(self) -> int:
        """Events neither delivered nor given up (the ``emo_gateway_webhooks_pending`` gauge)."""
        with self._transaction() as run:
            rows = run("SELECT COUNT(*) FROM webhook_events WHERE delivered_at IS NULL AND gave_up_at IS NULL", ())
            return int(rows.fetchall()[0][0])
