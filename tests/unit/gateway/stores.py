"""Job stores for the store tests: the same tests on SQLite and on PostgreSQL (``store_factory`` fixture)."""

from __future__ import annotations

from gateway.jobs import DEFAULT_KEY_TTL_S, DEFAULT_RETENTION_S, JobStore
from gateway.settings import GatewaySettings
from gateway.store import open_store


class StoreFactory:
    """``open(...)`` a store on one database, as many times as a test needs (each is closed at the end)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opened: list[JobStore] = []

    @property
    def backend(self) -> str:
        return self.url.split(":", 1)[0]

    def open(self, retention_s: float = DEFAULT_RETENTION_S, key_ttl_s: float = DEFAULT_KEY_TTL_S) -> JobStore:
        settings = GatewaySettings(database_url=self.url, result_retention_s=retention_s, idempotency_ttl_s=key_ttl_s)
        store = open_store(settings)
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            store.close()
