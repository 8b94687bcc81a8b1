"""gateway.runner: the job queue and its workers over a real SQLite store and real job folders.

The process each job runs is a plain coroutine here (the pipeline's own tests run the
real one), so that success, domain failures, crashes and slow jobs can be chosen.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from emocore.errors import InvalidInput, Overloaded
from gateway.folder import JobFolder
from gateway.jobs import INTERRUPTED, Job, JobStore
from gateway.metrics import GatewayMetrics
from gateway.results import ShotResult
from gateway.runner import JobReport, JobRunner, job_folder
from gateway.settings import GatewaySettings
from gateway.store_sqlite import SQLiteJobStore

Process = Callable[[Job, JobFolder, JobReport], Awaitable[dict[str, Any]]]


SHOT: dict[str, Any] = {
    "index": 0, "start_frame": 0, "end_frame": 99, "start_s": 0.0, "end_s": 4.0, "transition": "start",
    "confidence": 1.0, "face": None, "text": None, "audio": None, "fused": None, "errors": {"face": "down"},
}


def store_of(report: JobReport) -> JobStore:
    return report.store


def settings(tmp_path: Path, **overrides: Any) -> GatewaySettings:
    return GatewaySettings(data_dir=tmp_path, **overrides)


async def finished(process: Process, tmp_path: Path, count: int = 1, **overrides: Any) -> list[Job]:
    """Submit ``count`` jobs (each with a file in its folder), wait for all, stop the runner."""
    s = settings(tmp_path, **overrides)
    runner = JobRunner(s, SQLiteJobStore(s.database_path()), GatewayMetrics(), process)
    await runner.start()
    ids = [f"{i:032x}" for i in range(count)]
    for job_id in ids:
        job_folder(s, job_id).create()
        job_folder(s, job_id).video.write_bytes(b"video")
        runner.submit(job_id, {"filename": "a.mp4"}, None)
    try:
        return [await runner.wait(job_id, 10) for job_id in ids]
    finally:
        await runner.stop()
        runner.store.close()


def test_a_job_runs_reports_progress_and_stores_its_result(tmp_path: Path) -> None:
    seen: list[tuple[dict[str, Any], bool]] = []

    async def process(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
        seen.append((job.options, folder.video.is_file()))
        report.started({"partial": True, "video": {"duration_s": 8.0, "fps": 25.0, "width": 64, "height": 48}})
        report.shots([ShotResult.model_validate(SHOT)])
        report.progress(0.5, 4.0)
        parts = store_of(report).status_parts(job.id)
        assert parts is not None and parts[0].progress == 0.5 and parts[1] is not None
        partial = json.loads(parts[1])
        assert partial["partial"] is True and partial["processed_s"] == 4.0
        assert partial["shots"] == [SHOT]
        return {"shots": [{"index": 0}]}

    [job] = asyncio.run(finished(process, tmp_path))
    assert seen == [({"filename": "a.mp4"}, True)]
    assert (job.status, job.progress, job.result, job.error) == ("done", 1.0, {"shots": [{"index": 0}]}, None)
    assert not job_folder(settings(tmp_path), job.id).root.exists()  # the upload is not kept


def test_keep_uploads_keeps_the_job_folder(tmp_path: Path) -> None:
    async def process(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
        return {}

    [job] = asyncio.run(finished(process, tmp_path, keep_uploads=True))
    assert job_folder(settings(tmp_path), job.id).video.read_bytes() == b"video"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (InvalidInput("probe: not a video"), "probe: not a video"),
        (ZeroDivisionError("division by zero"), "internal error (job "),  # the exception text stays in the log
    ],
)
def test_a_failing_job_records_why(tmp_path: Path, error: Exception, expected: str) -> None:
    async def process(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
        raise error

    [job] = asyncio.run(finished(process, tmp_path))
    assert (job.status, job.result) == ("failed", None)
    assert job.error is not None and job.error.startswith(expected) and "division" not in job.error


def test_a_result_that_cannot_be_stored_fails_the_job(tmp_path: Path) -> None:
    async def process(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
        return {"when": object()}

    [job] = asyncio.run(finished(process, tmp_path))
    assert job.status == "failed" and job.error is not None
    assert job.error.startswith("internal error: result not storable")


def test_workers_run_jobs_at_once_up_to_their_number(tmp_path: Path) -> None:
    running, most = 0, 0

    async def process(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        running -= 1
        return {}

    jobs = asyncio.run(finished(process, tmp_path, count=6, job_workers=2))
    assert [j.status for j in jobs] == ["done"] * 6 and most == 2


def test_a_full_queue_refuses_with_retry_after(tmp_path: Path) -> None:
    async def scenario() -> None:
        s = settings(tmp_path, queue_size=1)
        gate = asyncio.Event()

        async def process(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
            await gate.wait()
            return {}

        runner = JobRunner(s, SQLiteJobStore(s.database_path()), GatewayMetrics(), process)
        await runner.start()
        runner.submit("a" * 32, {}, None)
        while runner.store.get("a" * 32).status != "running":  # type: ignore[union-attr]
            await asyncio.sleep(0.01)  # the worker takes the first job
        runner.submit("b" * 32, {}, None)  # waits in the queue
        with pytest.raises(Overloaded, match=r"1 jobs are already waiting \(limit 1\)") as refused:
            runner.submit("c" * 32, {}, None)
        assert refused.value.retry_after_s == 30 and runner.store.get("c" * 32) is None
        with pytest.raises(TimeoutError):
            await runner.wait("a" * 32, 0.05)
        gate.set()
        assert (await runner.wait("b" * 32, 5)).status == "done"
        await runner.stop()
        runner.store.close()

    asyncio.run(scenario())


def test_a_restart_fails_running_jobs_and_requeues_waiting_ones(tmp_path: Path) -> None:
    s = settings(tmp_path)
    store = SQLiteJobStore(s.database_path())
    store.create("r" * 32, {})
    store.claim("crashed", "t", 30, job_id="r" * 32)
    store.create("q" * 32, {})
    store.close()
    job_folder(s, "r" * 32).create()

    async def process(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
        return {"rerun": job.id}

    async def restart() -> tuple[Job, Job]:
        runner = JobRunner(s, SQLiteJobStore(s.database_path()), GatewayMetrics(), process)
        await runner.start()
        queued = await runner.wait("q" * 32, 5)
        interrupted = runner.store.get("r" * 32)
        await runner.stop()
        runner.store.close()
        assert interrupted is not None
        return queued, interrupted

    queued, interrupted = asyncio.run(restart())
    assert (queued.status, queued.result) == ("done", {"rerun": "q" * 32})
    assert (interrupted.status, interrupted.error) == ("failed", INTERRUPTED)
    assert not job_folder(s, "r" * 32).root.exists()


def test_a_stopping_worker_ends_even_when_its_job_was_cancelled_in_the_same_step(tmp_path: Path) -> None:
    async def scenario() -> bool:
        s = settings(tmp_path)
        gate = asyncio.Event()

        async def process(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
            await gate.wait()
            return {}

        runner = JobRunner(s, SQLiteJobStore(s.database_path()), GatewayMetrics(), process)
        await runner.start()
        runner.submit("a" * 32, {}, None)
        while "a" * 32 not in runner.tasks:
            await asyncio.sleep(0.01)
        runner.tasks["a" * 32].cancel()  # what asyncio.run's shutdown does: every task at once
        for worker in runner.slots:
            worker.cancel()
        done, _ = await asyncio.wait(runner.slots, timeout=5)
        runner.store.close()
        return len(done) == len(runner.slots)

    assert asyncio.run(scenario())
