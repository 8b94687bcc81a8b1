"""The job queue's workers in one process: claim, lease, run, end, hand back; and submits and waits.

The queue is the job store (``gateway/jobs.py``): ``job_workers`` slots each claim
the oldest queued job under a lease (``lease_s``), polling every ``queue_poll_s``
(at once when this process queued one). While a job runs its slot renews the lease
every ``cancel_poll_s``; a renewal that fails means the job was cancelled, deleted
or taken over by another worker after this one stalled, and the job's task is
cancelled. ``stop`` (SIGTERM) takes no new job, lets running ones finish for
``shutdown_grace_s``, then hands the rest back to the queue, so none is lost.

``admit`` refuses an upload before its body is read (Overloaded -> 429 with
Retry-After) when ``queue_size`` jobs are already waiting or being uploaded. Every
state change is written to the store first, so any API process and a restarted one
see it; ``wait`` lets a ``?wait=true`` request block until its job ends wherever it
runs. Webhooks go through the store's outbox (``gateway/webhooks.py``). Each job is
stopped (failed) at ``job_timeout_s``. A failed job's error is a stable message for
the client; exception text (file paths, hosts) goes to the log with the job id,
never into the job.
A running job reports through its ``JobReport``: progress, and each shot as it
finishes (``GET /v1/videos/{id}`` shows them as a partial result); every write is
guarded by the job's lease, like progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

from emocore.errors import Overloaded, ServiceError
from gateway.folder import JobFolder
from gateway.job import ACTIVE
from gateway.jobs import Job, JobStore
from gateway.metrics import GatewayMetrics
from gateway.results import ShotResult
from gateway.settings import GatewaySettings
from gateway.thumbnails import clear_inputs
from gateway.webhooks import WebhookSender, until_set

log = logging.getLogger(__name__)

INTERNAL_ERROR = "internal error"  # failed jobs' errors start with it when the fault is ours (500)


class JobReport:
    """What a running job tells its store: the partial result's head, finished shots, progress."""

    def __init__(self, store: JobStore, job_id: str, token: str | None = None) -> None:
        self.store, self.job_id, self.token = store, job_id, token  # token: the lease every write needs

    def started(self, head: dict[str, Any]) -> None:
        self.store.partial(self.job_id, head, self.token)

    def shots(self, shots: list[ShotResult]) -> None:
        self.store.add_shots(self.job_id, [shot.dump() for shot in shots], self.token)

    def progress(self, fraction: float, processed_s: float | None = None) -> None:
        self.store.progress(self.job_id, fraction, self.token, processed_s)


Process = Callable[[Job, JobFolder, JobReport], Coroutine[Any, Any, dict[str, Any]]]


def job_folder(settings: GatewaySettings, job_id: str) -> JobFolder:
    return JobFolder.of(settings.data_dir, job_id)


class JobRunner:
    def __init__(self, settings: GatewaySettings, store: JobStore, metrics: GatewayMetrics, process: Process) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.process = process
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.sender = WebhookSender(settings, store)
        self.running = 0
        self.uploading = 0
        self.stopping = False
        self.slots: list[asyncio.Task[None]] = []
        self.tasks: dict[str, asyncio.Task[dict[str, Any]]] = {}
        self.background: set[asyncio.Task[Any]] = set()
        self.waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._wake = asyncio.Event()

    def folder(self, job_id: str) -> Path:
        return job_folder(self.settings, job_id).root

    async def start(self) -> None:
        """Recover the store after a restart, start the webhook sender and ``job_workers`` slots."""
        interrupted, _ = self.store.recover()
        for job_id in interrupted:
            job_folder(self.settings, job_id).remove()
        self._gauges()
        self.background.add(asyncio.create_task(self.sender.run()))
        self.slots = [asyncio.create_task(self._work()) for _ in range(self.settings.job_workers)]

    async def stop(self, grace_s: float | None = None) -> None:
        """Take no new job; let running ones finish for ``grace_s`` (default ``shutdown_grace_s``), hand back the rest."""
        self.stopping = True
        self._wake.set()
        grace = self.settings.shutdown_grace_s if grace_s is None else grace_s
        if self.tasks and grace > 0:
            await asyncio.wait(set(self.tasks.values()), timeout=grace)
        for task in [*self.slots, *self.background]:
            task.cancel()
        for task in [*self.slots, *self.background]:
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
        self._wake.set()
        self.metrics.jobs_total.labels("submitted").inc()
        self._gauges()
        return job

    async def wait(self, job_id: str, timeout_s: float) -> Job | None:
        """The job once it has ended wherever it ran, None if deleted (TimeoutError after ``timeout_s``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            job = self.store.get(job_id)
            if job is None or job.status not in ACTIVE:
                return job
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(job_id)
            future: asyncio.Future[None] = loop.create_future()  # set when the job ends in this process
            self.waiters.setdefault(job_id, []).append(future)
            try:
                await asyncio.wait({future}, timeout=min(remaining, self.settings.queue_poll_s))
            finally:
                self.waiters[job_id].remove(future)
                if not self.waiters[job_id]:
                    del self.waiters[job_id]

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
        self.metrics.backlog.set(waiting + self.store.count("running"))
        self.metrics.jobs.set("queued", waiting)
        self.metrics.jobs.set("running", self.running)

    async def _claim(self) -> tuple[Job, str] | None:
        """The next job and its lease token; a claim cut short by ``stop`` hands its job back."""
        token = uuid.uuid4().hex
        s = self.settings
        claim = asyncio.ensure_future(
            asyncio.to_thread(self.store.claim, self.owner, token, s.lease_s, max_attempts=s.max_attempts)
        )
        try:
            job = await asyncio.shield(claim)
        except asyncio.CancelledError:
            job = await claim  # the thread finishes the claim anyway: do not leave its job leased to no one
            if job is not None:
                self.store.release(job.id, token)
            raise
        if job is not None and self.stopping:
            self.store.release(job.id, token)
            return None
        return (job, token) if job is not None else None

    async def _work(self) -> None:
        while not self.stopping:
            try:
                claimed = await self._claim()
                if claimed is None:
                    await asyncio.to_thread(self._gauges)
            except Exception:  # the database is away: try again next period
                log.exception("could not claim a job")
                claimed = None
            if claimed is None:
                await until_set(self._wake, self.settings.queue_poll_s)
                self._wake.clear()
                continue
            self.running += 1
            try:
                await self._run(*claimed)
            except Exception:  # the store itself failed; the lease will expire and the job run again
                log.exception("job %s could not be recorded", claimed[0].id)
            finally:
                self.running -= 1
                self._gauges()

    async def _watch(self, job_id: str, token: str, task: asyncio.Task[dict[str, Any]]) -> None:
        """Until ``task`` ends: renew the lease; cancel the task once the lease is no longer held."""
        while not task.done():
            await asyncio.wait({task}, timeout=self.settings.cancel_poll_s)
            if task.done():
                return
            try:
                held = await asyncio.to_thread(self.store.renew, job_id, token, self.settings.lease_s)
            except Exception:  # a database blip: the lease has lease_s to be renewed
                log.exception("job %s: lease not renewed", job_id)
                continue
            if not held:
                log.info("job %s: cancelled, deleted or taken over; stopping it here", job_id)
                task.cancel()

    async def _run(self, job: Job, token: str) -> None:
        job_id = job.id
        folder = job_folder(self.settings, job_id)
        limit = self.settings.job_timeout_s
        task = asyncio.create_task(self.process(job, folder, JobReport(self.store, job_id, token)))
        self.tasks[job_id] = task
        try:
            await asyncio.wait_for(self._watch(job_id, token, task), limit)
            result = task.result()
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not task.done() or (current is not None and current.cancelling()):  # this process is stopping
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                if self.store.release(job_id, token):  # hand the job back to the queue
                    log.info("job %s handed back to the queue", job_id)
                raise
            log.info("job %s cancelled", job_id)  # only the job's task was cancelled
        except TimeoutError:
            task.cancel()
            log.warning("job %s stopped at its %.0f-s deadline", job_id, limit)
            self._end(job_id, token, None, f"the job ran past its {limit:g}-s time limit and was stopped")
        except ServiceError as exc:  # a stable message; what caused it (paths, hosts) only in the log
            log.warning("job %s failed: %s: %s (cause: %r)", job_id, exc.code, exc.message, exc.__cause__)
            self._end(job_id, token, None, exc.message)
        except Exception:
            log.exception("job %s failed", job_id)
            self._end(job_id, token, None, f"{INTERNAL_ERROR} (job {job_id}; details in the gateway log)")
        else:
            try:
                self._end(job_id, token, result, None)
            except (TypeError, ValueError):  # a result that cannot be stored as JSON
                log.exception("job %s result not storable", job_id)
                self._end(job_id, token, None, f"{INTERNAL_ERROR}: result not storable (job {job_id})")
        finally:
            self.tasks.pop(job_id, None)
            ended = self.store.get(job_id)
            if ended is None or ended.status == "cancelled":
                folder.remove()
            elif ended.status not in ACTIVE and not self.settings.keep_uploads:  # not handed back or taken over
                clear_inputs(folder.root, keep_thumbnails=ended.status == "done")  # a finished job keeps its thumbnails

    def _end(self, job_id: str, token: str, result: dict[str, Any] | None, error: str | None) -> None:
        if result is not None:
            ended = self.store.finish(job_id, result, token)
            outcome = "done"
        else:
            ended = self.store.fail(job_id, error or "failed", token)
            outcome = "failed"
        if ended:  # else it was cancelled meanwhile (the canceller reported it) or taken over
            self.metrics.jobs_total.labels(outcome).inc()
            self._announce(job_id)

    def _announce(self, job_id: str) -> Job:
        """Wake the ``wait``-ers of an ended job here and the webhook sender."""
        job = self.store.get(job_id)
        assert job is not None
        for future in self.waiters.get(job_id, []):
            if not future.done():
                future.set_result(None)
        self.sender.wake()
        return job
