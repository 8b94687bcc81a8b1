"""Gateway unit fixtures: the job store on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.gateway.stores import StoreFactory


@pytest.fixture(params=["sqlite", "postgresql"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens job stores on one database: a SQLite file, or a fresh database on the PostgreSQL server."""
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    factory = StoreFactory(url)
    yield factory
    factory.close()
