"""The job queue and its workers: bounded, persistent, with completion webhooks.

``submit`` refuses a job (Overloaded -> 429 with Retry-After) when ``queue_size``
jobs are already waiting. ``job_workers`` jobs run at once. Every state change is
written to the JobStore first, so ``GET /v1/videos/{id}`` and a restarted gateway
see it; ``wait`` lets a ``?wait=true`` request block until its job ends. A running
job reports through its ``JobReport``: progress, and each shot as it finishes
(``GET /v1/videos/{id}`` shows them as a partial result).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from emocore.errors import Overloaded, ServiceError
from gateway.folder import JobFolder
from gateway.jobs import Job, JobStore
from gateway.metrics import GatewayMetrics
from gateway.remote import notify
from gateway.results import ShotResult
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)



class JobReport:
    """What a running job tells its store: the partial result's head, finished shots, progress."""

    def __init__(self, store: JobStore, job_id: str) -> None:
        self.store, self.job_id = store, job_id

    def started(self, head: dict[str, Any]) -> None:
        self.store.partial(self.job_id, head)

    def shots(self, shots: list[ShotResult]) -> None:
        self.store.add_shots(self.job_id, [shot.dump() for shot in shots])

    def progress(self, fraction: float, processed_s: float | None = None) -> None:
        self.store.progress(self.job_id, fraction, processed_s)


Process = Callable[[Job, JobFolder, JobReport], Awaitable[dict[str, Any]]]


def job_folder(settings: GatewaySettings, job_id: str) -> JobFolder:
    return JobFolder.of(settings.data_dir, job_id)


class JobRunner:
    def __init__(self, settings: GatewaySettings, store: JobStore, metrics: GatewayMetrics, process: Process) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.process = process
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.running = 0
        self.workers: list[asyncio.Task[None]] = []
        self.background: set[asyncio.Task[Any]] = set()
        self.waiters: dict[str, list[asyncio.Future[Job]]] = {}

    async def start(self) -> None:
        """Recover the store after a restart, re-queue waiting jobs, start the workers."""
        interrupted, queued = self.store.recover()
        for job_id in interrupted:
            job_folder(self.settings, job_id).remove()
        for job_id in queued:
            self.queue.put_nowait(job_id)
        self._gauges()
        self.workers = [asyncio.create_task(self._work()) for _ in range(max(1, self.settings.job_workers))]

    async def stop(self) -> None:
        for task in [*self.workers, *self.background]:
            task.cancel()
        for task in [*self.workers, *self.background]:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def submit(self, job_id: str, options: dict[str, Any], webhook_url: str | None) -> Job:
        if self.queue.qsize() >= self.settings.queue_size:
            raise Overloaded(
                f"{self.queue.qsize()} jobs are already waiting (limit {self.settings.queue_size}); retry later",
                retry_after_s=30,
            )
        job = self.store.create(job_id, options, webhook_url)
        self.queue.put_nowait(job_id)
        self.metrics.jobs_total.labels("submitted").inc()
        self._gauges()
        return job

    async def wait(self, job_id: str, timeout_s: float) -> Job:
        """The job once it is done or failed (TimeoutError after ``timeout_s``)."""
        job = self.store.get(job_id)
        if job is not None and job.status in ("done", "failed"):
            return job
        future: asyncio.Future[Job] = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(job_id, []).append(future)
        try:
            return await asyncio.wait_for(future, timeout_s)
        finally:
            if future in self.waiters.get(job_id, []):
                self.waiters[job_id].remove(future)

    def _gauges(self) -> None:
        self.metrics.queue_depth.set(self.queue.qsize())
        self.metrics.jobs.set("queued", self.queue.qsize())
        self.metrics.jobs.set("running", self.running)

    async def _work(self) -> None:
        while True:
            job_id = await self.queue.get()
            self.running += 1
            self._gauges()
            try:
                await self._run(job_id)
            except Exception:  # the store itself failed; keep the worker alive
                log.exception("job %s could not be recorded", job_id)
            finally:
                self.running -= 1
                self._gauges()

    async def _run(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job is None or job.status != "queued":
            return
        self.store.start(job_id)
        folder = job_folder(self.settings, job_id)
        try:
            result = await self.process(job, folder, JobReport(self.store, job_id))
        except asyncio.CancelledError:
            raise
        except ServiceError as exc:
            self._end(job_id, None, exc.message)
        except Exception as exc:
            log.exception("job %s failed", job_id)
            self._end(job_id, None, f"internal error: {type(exc).__name__}: {exc}")
        else:
            try:
                self._end(job_id, result, None)
            except (TypeError, ValueError) as exc:  # a result that cannot be stored as JSON
                log.exception("job %s result not storable", job_id)
                self._end(job_id, None, f"internal error: result not storable: {exc}")
        finally:
            if not self.settings.keep_uploads:
                folder.remove()

    def _end(self, job_id: str, result: dict[str, Any] | None, error: str | None) -> None:
        if result is not None:
            self.store.finish(job_id, result)
            self.metrics.jobs_total.labels("done").inc()
        else:
            self.store.fail(job_id, error or "failed")
            self.metrics.jobs_total.labels("failed").inc()
        job = self.store.get(job_id)
        assert job is not None
        for future in self.waiters.pop(job_id, []):
            if not future.done():
                future.set_result(job)
        if job.webhook_url:
            body = job.status_body(f"/v1/videos/{job_id}")
            task = asyncio.create_task(notify(job.webhook_url, body, retries=self.settings.webhook_retries))
            self.background.add(task)
            task.add_done_callback(self.background.discard)
