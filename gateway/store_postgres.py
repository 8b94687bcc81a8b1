"""The shared job store: PostgreSQL through psycopg 3 and a psycopg_pool connection pool.

``EMO_GATEWAY_DATABASE_URL=postgresql://…``: any number of API processes and workers
(``python -m gateway.worker``) share the jobs, the queue and the webhook outbox.
Claims take rows with ``FOR UPDATE SKIP LOCKED``, so workers polling at once never
wait on or take the same job. Migrations run at start-up under a transaction-scoped
advisory lock, so processes starting together apply each one once. Statements are
the portable ones of ``gateway/jobs.py``; only the placeholder differs (``%s``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg_pool import ConnectionPool

from gateway import migrations
from gateway.jobs import DEFAULT_KEY_TTL_S, DEFAULT_RETENTION_S, JobStore
from gateway.outbox import Run

MIGRATION_LOCK = 0x656D6F6A  # "emoj": the advisory lock key held while migrating


class PostgresJobStore(JobStore):
    shared = True
    skip_locked = "FOR UPDATE SKIP LOCKED"

    def __init__(
        self,
        dsn: str,
        retention_s: float = DEFAULT_RETENTION_S,
        key_ttl_s: float = DEFAULT_KEY_TTL_S,
        pool_size: int = 4,
    ) -> None:
        super().__init__(retention_s, key_ttl_s)
        self._pool = ConnectionPool(
            dsn, min_size=1, max_size=pool_size, open=True, kwargs={"autocommit": False}, timeout=30.0
        )
        self._pool.wait(timeout=30.0)
        with self._transaction() as run:
            run("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            migrations.apply(run)

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def _transaction(self) -> Iterator[Run]:
        with self._pool.connection() as conn, conn.transaction():

            def run(sql: str, params: tuple[Any, ...] = ()) -> Any:
                return conn.execute(sql.replace("?", "%s"), params)

            yield run
