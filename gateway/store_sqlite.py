"""The embedded job store: one SQLite file in the data directory (stdlib ``sqlite3``).

The default (``EMO_GATEWAY_DATABASE_URL`` unset or ``sqlite:///PATH``): one gateway
process runs the API and its jobs, as ``make serve`` and ``make demo`` do. WAL with
``synchronous=NORMAL`` (no corruption on a crash, no fsync per update on the event
loop; a power cut may lose the last updates, not the database). Each transaction
starts with ``BEGIN IMMEDIATE`` (the write lock), so statements of one transaction
see no other writer; a busy database is waited for up to 30 s. Switching a new file
to WAL is retried for as long: SQLite answers "database is locked" at once, without
waiting, when processes starting together race for it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gateway import migrations
from gateway.jobs import DEFAULT_KEY_TTL_S, DEFAULT_RETENTION_S, JobStore
from gateway.outbox import Run

BUSY_TIMEOUT_S = 30.0
# Columns the first releases added to an existing database at start-up (before migrations existed).
LEGACY_COLUMNS = {"metadata": "TEXT", "expires_at": "DOUBLE PRECISION"}


class SQLiteJobStore(JobStore):
    def __init__(
        self, path: Path, retention_s: float = DEFAULT_RETENTION_S, key_ttl_s: float = DEFAULT_KEY_TTL_S
    ) -> None:
        super().__init__(retention_s, key_ttl_s)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        self._lock = threading.Lock()
        with self._lock:
            self._wal(time.monotonic() + BUSY_TIMEOUT_S)
            self._db.execute("PRAGMA synchronous=NORMAL")
        with self._transaction() as run:
            self._legacy(run)
            migrations.apply(run)
            run(  # jobs that ended before retention existed expire from their end
                "UPDATE jobs SET expires_at = updated_at + ? "
                "WHERE expires_at IS NULL AND status NOT IN ('queued', 'running')",
                (retention_s,),
            )

    def _wal(self, deadline: float) -> None:
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _legacy(self, run: Run) -> None:
        """A database made before migrations existed: add the columns it may lack."""
        if not run("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'jobs'", ()).fetchall():
            return
        present = {row[1] for row in run("PRAGMA table_info(jobs)", ()).fetchall()}
        for name, kind in LEGACY_COLUMNS.items():
            if name not in present:
                run(f"ALTER TABLE jobs ADD COLUMN {name} {kind}", ())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[Run]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db.execute
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
