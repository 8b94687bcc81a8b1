"""The periodic sweep: expired jobs, orphaned job folders and stale idempotency keys.

Every ``sweep_interval_s`` (and once at start-up):

- jobs whose ``expires_at`` has passed (``result_retention_s`` after they ended) are
  deleted: their folder (media, thumbnails), their row (result) and their keys;
- job folders that no job needs are removed: a folder with no job row once nothing
  in it has changed for ``orphan_grace_s`` (an upload still arriving is left alone),
  and the folder of a job that failed or was cancelled, unless ``keep_uploads`` (a
  done job's folder, with its thumbnails, stays until the job expires);
- idempotency keys older than ``idempotency_ttl_s`` are forgotten, and webhook events
  delivered or given up more than ``result_retention_s`` ago are deleted.

Every step is idempotent, so several processes sharing one store may each sweep.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from gateway.jobs import JobStore
from gateway.runner import job_folder
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)
ENDED_WITHOUT_RESULT = ("failed", "cancelled")


@dataclass
class SweepReport:
    expired_jobs: int = 0
    orphan_folders: int = 0
    forgotten_keys: int = 0
    forgotten_events: int = 0


def last_change(folder: Path) -> float:
    """The newest modification time of the folder and the files directly in it."""
    times = [folder.stat().st_mtime]
    times.extend(entry.stat().st_mtime for entry in folder.iterdir())
    return max(times)


class Sweeper:
    def __init__(self, settings: GatewaySettings, store: JobStore) -> None:
        self.settings = settings
        self.store = store

    def sweep(self, now: float | None = None) -> SweepReport:
        """One pass; what it removed."""
        now = time.time() if now is None else now
        report = SweepReport()
        for job_id in self.store.expired(now):
            job_folder(self.settings, job_id).remove()
            if self.store.delete(job_id):
                report.expired_jobs += 1
        report.orphan_folders = self._orphans(now)
        report.forgotten_keys = self.store.forget_keys(now)
        report.forgotten_events = self.store.forget_events(now - self.settings.result_retention_s)
        if report.expired_jobs or report.orphan_folders or report.forgotten_keys or report.forgotten_events:
            log.info("sweep: %s", report)
        return report

    def _orphans(self, now: float) -> int:
        root = self.settings.data_dir / "jobs"
        folders = [f for f in root.iterdir() if f.is_dir()] if root.is_dir() else []
        statuses = self.store.statuses([f.name for f in folders])
        removed = 0
        for folder in folders:
            status = statuses.get(folder.name)
            try:
                orphan = (status in ENDED_WITHOUT_RESULT and not self.settings.keep_uploads) or (
                    status is None and now - last_change(folder) >= self.settings.orphan_grace_s
                )
            except FileNotFoundError:  # removed meanwhile (its job ended or was deleted)
                continue
            if orphan:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    async def run(self) -> None:
        """Sweep now and then every ``sweep_interval_s`` until cancelled (never if it is 0)."""
        if self.settings.sweep_interval_s <= 0:
            return
        while True:
            try:
                await asyncio.to_thread(self.sweep)
            except Exception:  # a failed sweep is retried next period
                log.exception("retention sweep failed")
            await asyncio.sleep(self.settings.sweep_interval_s)
