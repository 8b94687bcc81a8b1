"""``python -m gateway.worker``: a process that runs jobs from the shared queue and serves no API.

It opens the store named by ``EMO_GATEWAY_DATABASE_URL`` (PostgreSQL to share it with
API processes on other hosts), runs ``EMO_GATEWAY_JOB_WORKERS`` jobs at once with
the same pipeline as the API process, delivers webhooks from the outbox, and serves
its Prometheus metrics on ``EMO_GATEWAY_WORKER_PORT`` once it takes jobs (any path; 0: none) for
probes and scraping. SIGTERM or SIGINT: take no new job, let running ones finish
for ``EMO_GATEWAY_SHUTDOWN_GRACE_S``, hand the rest back to the queue, exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from prometheus_client import start_http_server

from gateway.engine import JobEngine
from gateway.metrics import GatewayMetrics
from gateway.settings import GatewaySettings

log = logging.getLogger("gateway.worker")


async def serve(settings: GatewaySettings, metrics: GatewayMetrics) -> None:
    """Run jobs until SIGTERM/SIGINT, then stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    engine = JobEngine(settings, metrics)  # the API process's parts: store, clients, pipeline, runner
    try:
        await engine.load()
        runner = engine.runner
        if settings.worker_port:  # answering from here on means: claiming jobs
            start_http_server(settings.worker_port, registry=metrics.registry)
        log.info("worker %s: %d job slots", runner.owner, settings.job_workers)
        await stop.wait()
        log.info("worker %s stopping: %d jobs running, %.0f s to finish", runner.owner, len(runner.tasks),
                 settings.shutdown_grace_s)
    finally:
        await engine.close()  # the runner's stop: grace period, then hand-back


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = GatewaySettings()
    if settings.job_workers < 1:
        print("EMO_GATEWAY_JOB_WORKERS must be at least 1 for a worker", file=sys.stderr)
        return 2
    metrics = GatewayMetrics()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(serve(settings, metrics))
    finally:
        loop.close()  # unlike asyncio.run, does not wait for executor threads still decoding a handed-back job
    logging.shutdown()
    sys.stdout.flush()
    os._exit(0)  # those threads' results are no longer wanted: the job is back in the queue


if __name__ == "__main__":
    sys.exit(main())
