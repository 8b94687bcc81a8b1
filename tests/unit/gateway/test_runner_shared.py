"""Two job runners (two processes' worth) on one store, SQLite and PostgreSQL: each job runs once.

The ``process`` here is a plain coroutine standing for the pipeline: what is under
test is the queue (claims, leases, waits and cancels across runners), not the analysis.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from gateway.folder import JobFolder
from gateway.jobs import Job
from gateway.metrics import GatewayMetrics
from gateway.runner import JobReport, JobRunner
from gateway.settings import GatewaySettings
from tests.unit.gateway.stores import StoreFactory


def test_jobs_submitted_to_one_runner_run_once_across_both_and_cancel_anywhere(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    settings = GatewaySettings(data_dir=tmp_path, queue_poll_s=0.05, cancel_poll_s=0.1, lease_s=5, queue_size=64)
    ran: list[tuple[str, int]] = []

    def runner_for(index: int) -> JobRunner:
        async def process(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
            ran.append((job.id, index))
            report.progress(0.5)
            await asyncio.sleep(30 if job.id.startswith("slow") else 0.2)
            return {"shots": [], "by": index}

        return JobRunner(settings, store_factory.open(), GatewayMetrics(), process)

    async def scenario() -> None:
        first, second = runner_for(1), runner_for(2)
        await first.start()
        await second.start()
        try:
            ids = [first.submit(f"job{index}", {}, None).id for index in range(6)]
            ended = [await second.wait(job_id, 30) for job_id in ids]  # waits see ends made elsewhere
            assert [job.status if job else None for job in ended] == ["done"] * 6
            assert sorted(job_id for job_id, _ in ran) == ids  # each ran once
            assert {runner for _, runner in ran} == {1, 2}  # and both runners took some

            first.submit("slow", {}, None)
            while "slow" not in first.tasks and "slow" not in second.tasks:
                await asyncio.sleep(0.02)
            holder, other = (first, second) if "slow" in first.tasks else (second, first)
            assert other.cancel("slow") is not None  # cancelled through the store, not the holder
            await asyncio.wait_for(holder.stopped("slow", 5), 5)
            for _ in range(50):
                if "slow" not in holder.tasks:
                    break
                await asyncio.sleep(0.05)
            assert "slow" not in holder.tasks and holder.store.get("slow").status == "cancelled"  # type: ignore[union-attr]
        finally:
            await first.stop(0)
            await second.stop(0)

    asyncio.run(scenario())
