"""What the gateway serves: the job store, the service clients, the pipeline and the job runner.

Opened together at start-up and closed together at shutdown by
``emocore.service.build_app``; ready once the runner has started.
"""

from __future__ import annotations

from emocore.errors import ModelNotReady
from gateway.clients import ServiceClients
from gateway.jobs import JobStore
from gateway.metrics import GatewayMetrics
from gateway.pipeline import Pipeline
from gateway.runner import JobRunner
from gateway.settings import GatewaySettings


class JobEngine:
    """Implements ``emocore.model.ServedModel`` for the gateway."""

    def __init__(self, settings: GatewaySettings, metrics: GatewayMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self._parts: tuple[JobStore, ServiceClients, Pipeline, JobRunner] | None = None

    @property
    def runner(self) -> JobRunner:
        if self._parts is None:
            raise ModelNotReady("the gateway's job runner has not started")
        return self._parts[3]

    async def load(self) -> None:
        store = JobStore(self.settings.database_path())
        clients = ServiceClients(self.settings, self.metrics)
        pipeline = Pipeline(self.settings, clients, self.metrics)
        runner = JobRunner(self.settings, store, self.metrics, pipeline)
        await runner.start()
        self._parts = (store, clients, pipeline, runner)

    async def ready(self) -> bool:
        return self._parts is not None

    async def close(self) -> None:
        if self._parts is None:
            return
        store, clients, pipeline, runner = self._parts
        self._parts = None
        await runner.stop()
        await pipeline.close()
        await clients.close()
        store.close()
