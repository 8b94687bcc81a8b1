"""What a client reads when something fails: a stable message, never our paths or hosts.

The details (exception text, file paths, the Triton address) go to the log, with the
job id where there is a job.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from devtools.serve import free_port
from emocore.errors import BackendUnavailable, InvalidInput, ServiceError
from emocore.inference.triton import TritonBackend
from gateway.folder import JobFolder
from gateway.jobs import Job
from gateway.metrics import GatewayMetrics
from gateway.probe import probe
from gateway.runner import JobReport, JobRunner
from gateway.settings import GatewaySettings
from gateway.store_sqlite import SQLiteJobStore

SECRET = "srv-secret-volume"


def run_job(tmp_path: Path, process: Any) -> Job:
    async def main() -> Job:
        settings = GatewaySettings(data_dir=tmp_path)
        runner = JobRunner(settings, SQLiteJobStore(tmp_path / "jobs.sqlite3"), GatewayMetrics(), process)
        await runner.start()
        try:
            runner.submit("a" * 32, {}, None)
            return await runner.wait("a" * 32, 30)
        finally:
            await runner.stop()

    return asyncio.run(main())


def test_an_unexpected_exception_fails_the_job_with_a_stable_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
        raise RuntimeError(f"cannot open /{SECRET}/jobs/{job.id}/input.video")

    with caplog.at_level(logging.ERROR, logger="gateway.runner"):
        job = run_job(tmp_path, broken)
    assert job.status == "failed" and job.error is not None
    assert job.error.startswith("internal error") and "a" * 32 in job.error
    assert SECRET not in job.error and "RuntimeError" not in job.error
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "a" * 32 in logged and SECRET in caplog.text


def test_a_domain_error_keeps_its_message_and_logs_its_cause(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def refused(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
        try:
            raise OSError(f"/{SECRET}/input.video: bad")
        except OSError as exc:
            raise InvalidInput("the video file is corrupt or truncated") from exc

    with caplog.at_level(logging.WARNING, logger="gateway.runner"):
        job = run_job(tmp_path, refused)
    assert job.error == "the video file is corrupt or truncated"
    assert "a" * 32 in caplog.text and SECRET in caplog.text


def test_a_corrupt_video_is_described_without_its_server_path(tmp_path: Path) -> None:
    folder = tmp_path / SECRET
    folder.mkdir()
    video = folder / "input.video"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4)
    with pytest.raises(ServiceError) as caught:
        probe(video)
    assert "corrupt" in caught.value.message and SECRET not in caught.value.message


def test_triton_failure_names_the_model_not_the_server(caplog: pytest.LogCaptureFixture) -> None:
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    backend = TritonBackend(f"http://{address}", timeout_s=2.0, retries=0)

    async def call() -> None:
        try:
            await backend.infer("face_emotion", {"input": np.zeros((1, 4), np.float32)}, ["output"])
        finally:
            await backend.close()

    with caplog.at_level(logging.ERROR, logger="emocore.inference.triton"), pytest.raises(BackendUnavailable) as caught:
        asyncio.run(call())
    assert caught.value.message == "the inference server is unavailable for model 'face_emotion'"
    assert address in caplog.text  # the operator still learns where it failed
