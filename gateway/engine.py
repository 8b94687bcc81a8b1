"""What the gateway serves: the job store, the service clients, the pipeline, the job runner
and the retention sweep (the same parts run ``python -m gateway.worker``).

Opened together at start-up and closed together at shutdown by
``emocore.service.build_app``; ready once the runner has started and while every
service a job needs (and Triton) is ready (gateway.readiness).
"""

from __future__ import annotations

import asyncio
import contextlib

from emocore import memory
from emocore.errors import ModelNotReady
from gateway import readiness
from gateway.clients import ServiceClients
from gateway.jobs import JobStore
from gateway.languages import LanguageIdentifier
from gateway.metrics import GatewayMetrics
from gateway.pipeline import Pipeline
from gateway.readiness import DownstreamReadiness
from gateway.retention import Sweeper
from gateway.runner import JobRunner
from gateway.settings import GatewaySettings
from gateway.store import open_store


class JobEngine:
    """Implements ``emocore.model.ServedModel`` for the gateway."""

    def __init__(self, settings: GatewaySettings, metrics: GatewayMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self._parts: tuple[JobStore, ServiceClients, Pipeline, JobRunner] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._downstream: DownstreamReadiness | None = None

    @property
    def runner(self) -> JobRunner:
        if self._parts is None:
            raise ModelNotReady("the gateway's job runner has not started")
        return self._parts[3]

    async def load(self) -> None:
        s = self.settings
        memory.keep_heap_small()  # a long job's large short-lived buffers go back to the system
        store = open_store(s)
        clients = ServiceClients(self.settings, self.metrics)
        pipeline = Pipeline(self.settings, clients, self.metrics)
        runner = JobRunner(self.settings, store, self.metrics, pipeline)
        await asyncio.to_thread(LanguageIdentifier.load)  # not in the first job's time
        await runner.start()
        self._sweeper = asyncio.create_task(Sweeper(s, store).run())
        self._downstream = readiness.for_settings(self.settings, clients.http)
        self._parts = (store, clients, pipeline, runner)

    async def ready(self) -> bool:
        return self._parts is not None and self._downstream is not None and await self._downstream.ready()

    async def close(self) -> None:
        if self._parts is None:
            return
        store, clients, pipeline, runner = self._parts
        self._parts = None
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await runner.stop()
        await pipeline.close()
        await clients.close()
        store.close()
