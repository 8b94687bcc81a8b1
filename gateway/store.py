"""Open the job store named by ``EMO_GATEWAY_DATABASE_URL``: SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from gateway.jobs import JobStore
from gateway.settings import GatewaySettings


def open_store(settings: GatewaySettings) -> JobStore:
    """``sqlite:///PATH`` (or unset: ``DATA_DIR/jobs.sqlite3``) or ``postgresql://…`` / ``postgres://…``."""
    url = settings.database_url
    kwargs = {"retention_s": settings.result_retention_s, "key_ttl_s": settings.idempotency_ttl_s}
    if url is None or url.startswith("sqlite:///"):
        from gateway.store_sqlite import SQLiteJobStore

        path = Path(url.removeprefix("sqlite:///")) if url else settings.database_path()
        return SQLiteJobStore(path, **kwargs)
    if url.startswith(("postgresql://", "postgres://")):
        from gateway.store_postgres import PostgresJobStore

        return PostgresJobStore(url, pool_size=settings.database_pool_size, **kwargs)
    raise ValueError(f"EMO_GATEWAY_DATABASE_URL must start with sqlite:/// or postgresql://, not {url[:40]!r}")
