"""A real PostgreSQL server for tests: Debian's binaries, a temporary directory, a free port, no Docker.

``running_postgres`` runs ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/15/bin``
(installed by ``make postgresql``) as a non-root user: as root, the Debian package's
``postgres`` account via ``runuser``. The cluster trusts local connections, skips
fsync (a test server: speed over durability) and is removed when the block ends.
``fresh_database`` creates an empty database on it and returns its URL.
Also a command: ``python -m devtools.postgres`` runs one in the foreground
and prints its URL (the scaled local stack, docs/gateway.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from devtools.serve import free_port

BIN = Path(os.environ.get("EMO_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
USER = "emo"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


@dataclass(frozen=True)
class PostgresServer:
    port: int
    root: Path

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"


def _as_server_user() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 until the block ends."""
    if not (BIN / "initdb").exists():
        raise PostgresMissing(f"{BIN}/initdb not found: run `make postgresql` (Debian's postgresql package)")
    root = Path(tempfile.mkdtemp(prefix="emo-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    run = _as_server_user()
    try:
        subprocess.run(
            [*run, str(BIN / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8"],
            check=True, capture_output=True,
        )
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(
            [*run, str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
            check=True, capture_output=True,
        )
        yield PostgresServer(port, root)
    finally:
        subprocess.run([*run, str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server: PostgresServer) -> str:
    """The URL of a new, empty database on ``server``."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + f"/{name}"


def main() -> int:
    with running_postgres() as server:
        print(fresh_database(server), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
