"""Versioned schema migrations of the job store, the same statements on SQLite and PostgreSQL.

Each migration is a version number and its statements; ``schema_migrations`` records
the versions applied. ``apply`` runs inside one transaction that first takes the
store's migration lock (PostgreSQL: ``pg_advisory_xact_lock``; SQLite: ``BEGIN
IMMEDIATE``, the database's write lock), so any number of API processes and workers
starting at once apply each migration exactly once and none of them sees a half-made
schema. DDL is transactional in both databases: a failed migration leaves nothing.

Types are spelled so both databases read them the same: ``DOUBLE PRECISION`` (Unix
seconds; SQLite gives it REAL affinity), ``TEXT`` (JSON documents), ``INTEGER``.
Add a migration at the end; never edit one that has shipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Run = Callable[[str, tuple[Any, ...]], Any]

MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, (  # the jobs table and idempotency keys as the single-process gateway had them
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
            result TEXT,
            metadata TEXT,
            expires_at DOUBLE PRECISION
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
        "CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at, id)",
        "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at, id)",
        "CREATE INDEX IF NOT EXISTS jobs_by_expiry ON jobs (expires_at)",
        "CREATE INDEX IF NOT EXISTS idempotency_by_job ON idempotency_keys (job_id)",
    )),
    (2, (  # a shared queue: leases held by workers, and the webhook outbox
        "ALTER TABLE jobs ADD COLUMN lease_owner TEXT",
        "ALTER TABLE jobs ADD COLUMN lease_token TEXT",
        "ALTER TABLE jobs ADD COLUMN lease_until DOUBLE PRECISION",
        "ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
        """
        CREATE TABLE webhook_events (
            id TEXT PRIMARY KEY,
            job_id TEXT NOT NULL,
            event TEXT NOT NULL,
            url TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at DOUBLE PRECISION NOT NULL,
            claimed_until DOUBLE PRECISION,
            delivered_at DOUBLE PRECISION,
            gave_up_at DOUBLE PRECISION,
            last_error TEXT
        )
        """,
        "CREATE INDEX webhook_events_due ON webhook_events (delivered_at, gave_up_at, next_at)",
        "CREATE INDEX webhook_events_by_job ON webhook_events (job_id)",
    )),
    (3, (  # a running job's partial result: each finished shot, and the seconds of video processed
        """
        CREATE TABLE job_shots (
            job_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (job_id, idx)
        )
        """,
        "ALTER TABLE jobs ADD COLUMN processed_s DOUBLE PRECISION",
    )),
)
LATEST = MIGRATIONS[-1][0]


def apply(run: Run) -> list[int]:
    """Apply the migrations not yet recorded, in order, with ``run`` (one locked transaction)."""
    run(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)",
        (),
    )
    done = {row[0] for row in run("SELECT version FROM schema_migrations", ()).fetchall()}
    applied = []
    for version, statements in MIGRATIONS:
        if version in done:
            continue
        for statement in statements:
            run(statement, ())
        run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", (version, time.time()))
        applied.append(version)
    return applied
