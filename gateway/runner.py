"""The job queue and its workers: bounded, persistent, cancellable, with completion webhooks.

``admit`` refuses an upload before its body is read (Overloaded -> 429 with
Retry-After) when ``queue_size`` jobs are already waiting or being uploaded.
``job_workers`` jobs run at once, each as its own task: ``cancel`` marks the job
cancelled in the store and cancels that task, and a running job also polls the
store every ``cancel_poll_s``, so a cancel made by another process stops it too.
Every state change is written to the JobStore first, so ``GET /v1/videos/{id}``
and a restarted gateway see it; ``wait`` lets a ``?wait=true`` request block until
its job ends. Each job is stopped (failed) at ``job_timeout_s``. A failed job's
error is a stable message for the client; exception text (file paths, hosts)
goes to the log with the job id, never into the job.
A running job reports through its ``JobReport``: progress, and each shot as it
finishes (``GET /v1/videos/{id}`` shows them as a partial result).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

from emocore.errors import Overloaded, ServiceError
from gateway.folder import JobFolder
from gateway.job import ACTIVE
from gateway.jobs import Job, JobStore
from gateway.metrics import GatewayMetrics
from gateway.remote import notify
from gateway.results import ShotResult
from gateway.settings import GatewaySettings
from gateway.thumbnails import clear_inputs

log = logging.getLogger(__name__)

INTERNAL_ERROR = "internal error"  # failed jobs' errors start with it when the fault is ours (500)


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


Process = Callable[[Job, JobFolder, JobReport], Coroutine[Any, Any, dict[str, Any]]]


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
        self.uploading = 0
        self.workers: list[asyncio.Task[None]] = []
        self.tasks: dict[str, asyncio.Task[dict[str, Any]]] = {}
        self.background: set[asyncio.Task[Any]] = set()
        self.waiters: dict[str, list[asyncio.Future[Job | None]]] = {}

    def folder(self, job_id: str) -> Path:
        return job_folder(self.settings, job_id).root

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

    def _full(self, waiting: int) -> None:
        if waiting >= self.settings.queue_size:
            raise Overloaded(
                f"{waiting} jobs are already waiting (limit {self.settings.queue_size}), uploads under way "
                "included; retry later",
                retry_after_s=30,
            )

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        """Hold a queue place while an upload is received (429 at once when there is none)."""
        self._full(self.store.count("queued") + self.uploading)
        self.uploading += 1
        try:
            yield
        finally:
            self.uploading -= 1

    def submit(
        self,
        job_id: str,
        options: dict[str, Any],
        webhook_url: str | None,
        *,
        metadata: dict[str, Any] | None = None,
        idempotency: tuple[str, str] | None = None,
    ) -> Job:
        self._full(self.store.count("queued"))
        job = self.store.create(job_id, options, webhook_url, metadata=metadata, idempotency=idempotency)
        self.queue.put_nowait(job_id)
        self.metrics.jobs_total.labels("submitted").inc()
        self._gauges()
        return job

    async def wait(self, job_id: str, timeout_s: float) -> Job | None:
        """The job once it has ended, None if deleted (TimeoutError after ``timeout_s``)."""
        job = self.store.get(job_id)
        if job is None or job.status not in ACTIVE:
            return job
        future: asyncio.Future[Job | None] = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(job_id, []).append(future)
        try:
            return await asyncio.wait_for(future, timeout_s)
        finally:
            if future in self.waiters.get(job_id, []):
                self.waiters[job_id].remove(future)

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued or running job (the ended job), else None; its webhook reports it."""
        if not self.store.cancel(job_id):
            return None
        task = self.tasks.get(job_id)
        if task is not None:
            task.cancel()
        self.metrics.jobs_total.labels("cancelled").inc()
        self._gauges()
        return self._announce(job_id)

    async def stopped(self, job_id: str, timeout_s: float = 5.0) -> None:
        """Wait (at most ``timeout_s``) until this process no longer runs ``job_id``."""
        task = self.tasks.get(job_id)
        if task is not None:
            await asyncio.wait({task}, timeout=timeout_s)

    def _gauges(self) -> None:
        waiting = self.store.count("queued")
        self.metrics.queue_depth.set(waiting)
        self.metrics.jobs.set("queued", waiting)
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

    async def _watch(self, job_id: str, task: asyncio.Task[dict[str, Any]]) -> None:
        """Until ``task`` ends: cancel it once the store says the job is no longer running."""
        while not task.done():
            await asyncio.wait({task}, timeout=self.settings.cancel_poll_s)
            job = self.store.get(job_id)
            if not task.done() and (job is None or job.status != "running"):
                task.cancel()

    async def _run(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job is None or not self.store.start(job_id):
            return
        folder = job_folder(self.settings, job_id)
        limit = self.settings.job_timeout_s
        task = asyncio.create_task(self.process(job, folder, JobReport(self.store, job_id)))
        self.tasks[job_id] = task
        try:
            await asyncio.wait_for(self._watch(job_id, task), limit)
            result = task.result()
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():  # the worker itself is stopping
                task.cancel()
                raise
            log.info("job %s cancelled", job_id)  # only the job's task was cancelled
        except TimeoutError:
            task.cancel()
            log.warning("job %s stopped at its %.0f-s deadline", job_id, limit)
            self._end(job_id, None, f"the job ran past its {limit:g}-s time limit and was stopped")
        except ServiceError as exc:  # a stable message; what caused it (paths, hosts) only in the log
            log.warning("job %s failed: %s: %s (cause: %r)", job_id, exc.code, exc.message, exc.__cause__)
            self._end(job_id, None, exc.message)
        except Exception:
            log.exception("job %s failed", job_id)
            self._end(job_id, None, f"{INTERNAL_ERROR} (job {job_id}; details in the gateway log)")
        else:
            try:
                self._end(job_id, result, None)
            except (TypeError, ValueError):  # a result that cannot be stored as JSON
                log.exception("job %s result not storable", job_id)
                self._end(job_id, None, f"{INTERNAL_ERROR}: result not storable (job {job_id})")
        finally:
            self.tasks.pop(job_id, None)
            ended = self.store.get(job_id)
            if ended is None or ended.status == "cancelled":
                folder.remove()
            elif not self.settings.keep_uploads:  # a finished job keeps its thumbnails
                clear_inputs(folder.root, keep_thumbnails=ended.status == "done")

    def _end(self, job_id: str, result: dict[str, Any] | None, error: str | None) -> None:
        if result is not None:
            ended = self.store.finish(job_id, result)
            outcome = "done"
        else:
            ended = self.store.fail(job_id, error or "failed")
            outcome = "failed"
        if ended:  # else it was cancelled meanwhile: the canceller reported it
            self.metrics.jobs_total.labels(outcome).inc()
            self._announce(job_id)

    def _announce(self, job_id: str) -> Job:
        """Wake the ``wait``-ers of an ended job and send its webhook."""
        job = self.store.get(job_id)
        assert job is not None
        for future in self.waiters.pop(job_id, []):
            if not future.done():
                future.set_result(job)
        if job.webhook_url:
            body = job.status_body(f"/v1/videos/{job_id}")
            task = asyncio.create_task(notify(
                job.webhook_url, body, policy=self.settings.address_policy(), retries=self.settings.webhook_retries
            ))
            self.background.add(task)
            task.add_done_callback(self.background.discard)
        return job
