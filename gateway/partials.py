"""Partial results of running jobs in the job store (mixed into ``JobStore``).

While a job runs, its result column holds the partial result's head (``partial:
true``, video facts; ``processed_s`` has its own column) and each finished shot is
a row of ``job_shots`` (written as it finishes, under the worker's lease, so nothing
is rewritten per shot); ``status_parts`` joins them, as text. Ending a job (done,
failed, cancelled), handing it back and deleting it clear its rows (``gateway/jobs.py``).
"""

from __future__ import annotations

import json
import time
from abc import abstractmethod
from contextlib import AbstractContextManager
from typing import Any

from gateway.job import COLUMNS, Job, from_row
from gateway.outbox import Run


class PartialResults:
    """The partial-result half of the job store."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Run]: ...

    def partial(self, job_id: str, head: dict[str, Any], token: str | None = None) -> None:
        """Start a running job's partial result: its head (``shots`` come from ``add_shots``)."""
        held = "" if token is None else " AND lease_token = ?"
        with self._transaction() as run:  # a job claimed again starts over: the last attempt's shots go
            run("DELETE FROM job_shots WHERE job_id = ?", (job_id,))
            run(
                f"UPDATE jobs SET result = ?, processed_s = NULL, updated_at = ? WHERE id = ? AND status = 'running'{held}",
                (json.dumps({**head, "shots": []}), time.time(), job_id, *(() if token is None else (token,))),
            )

    def add_shots(self, job_id: str, shots: list[dict[str, Any]], token: str | None = None) -> None:
        """Store finished shots, only while the job runs (under ``token``'s lease): an ended job keeps none."""
        held = "" if token is None else " AND lease_token = ?"
        with self._transaction() as run:
            for shot in shots:
                run(
                    "INSERT INTO job_shots (job_id, idx, body) SELECT ?, ?, ? WHERE EXISTS "
                    f"(SELECT 1 FROM jobs WHERE id = ? AND status = 'running'{held}) "
                    "ON CONFLICT (job_id, idx) DO UPDATE SET body = excluded.body",
                    (job_id, shot["index"], json.dumps(shot), job_id, *(() if token is None else (token,))),
                )

    def status_parts(self, job_id: str) -> tuple[Job, str | None] | None:
        """The job without its result, and the result as JSON text (None if it has none yet).

        A running job's text is its head with the finished shots spliced in as stored, in
        order, and ``processed_s``: ``GET`` sends it as it is, so a poll costs no parsing of
        the shots (a feature film has thousands, and clients poll every second).
        """
        with self._transaction() as run:
            rows = run(f"SELECT {COLUMNS}, processed_s FROM jobs WHERE id = ?", (job_id,)).fetchall()
            if not rows:
                return None
            row = rows[0]
            running = row[1] == "running" and row[8] is not None
            shots = run("SELECT body FROM job_shots WHERE job_id = ? ORDER BY idx", (job_id,)).fetchall() if running else []
        job = from_row((*row[:8], None, *row[9:11]))
        if not running:
            return job, row[8]
        head = {**json.loads(row[8]), **({"processed_s": round(row[11], 3)} if row[11] is not None else {})}
        head.pop("shots", None)
        text = json.dumps({**head, "shots": []})  # ends with '"shots": []}'
        return job, text[:-2] + ", ".join(r[0] for r in shots) + "]}"
