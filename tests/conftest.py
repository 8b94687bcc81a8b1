"""Fixtures shared by every test directory.

Local Triton: ``triton_env`` fails (never skips) when ``.venv-triton`` is missing;
``triton_server`` serves the real ``model_repository/`` through the local (Python
backend) repository derived from it, once per session. See docs/triton_local.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.postgres import PostgresMissing, PostgresServer, fresh_database, running_postgres
from devtools.triton import TritonEnvMissing, TritonProcess, require_triton_env, run_triton
from emocore.settings import DEFAULT_MODEL_REPOSITORY
from models.triton_python import local_repository


@pytest.fixture(scope="session")
def triton_env() -> None:
    """``.venv-triton`` is installed and works; a clear failure otherwise."""
    try:
        require_triton_env()
    except TritonEnvMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def triton_server(
    triton_env: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TritonProcess]:
    """Triton serving every model of ``model_repository/`` (``.http_url``, ``.metrics_url``)."""
    target = tmp_path_factory.mktemp("triton") / "model_repository"
    try:
        repository = local_repository(DEFAULT_MODEL_REPOSITORY, target)
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)
    with run_triton(repository) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (Debian's binaries; fails, never skips, without them)."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A new, empty database on the session's PostgreSQL server."""
    return fresh_database(postgres_server)

