"""gateway.pipeline: one job end to end on a real video, with the real services in process.

The face, text and fusion services run with their real models (tests/unit/gateway/inprocess.py);
the audio service is down, so every shot shows how a failed modality is reported.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from devtools.sample_video import Sample, cached
from emocore.errors import BackendUnavailable, ModelNotReady
from gateway.clients import ServiceClients
from gateway.folder import JobFolder
from gateway.jobs import Job
from gateway.metrics import GatewayMetrics
from gateway.pipeline import Pipeline
from gateway.runner import JobReport
from gateway.settings import GatewaySettings
from gateway.shots import ShotSettings
from gateway.store_sqlite import SQLiteJobStore
from gateway.subtitles import parse
from services.face.app import create_app as face_app
from services.fusion.app import create_app as fusion_app
from services.text.app import create_app as text_app
from tests.unit.gateway.inprocess import serving

URLS = {"face_url": "http://face", "text_url": "http://text", "audio_url": "http://audio",
        "fusion_url": "http://fusion"}


@pytest.fixture(scope="module")
def clip() -> Sample:
    return cached("small")


def job_folder(tmp_path: Path, clip: Sample, subtitles: bool = True) -> JobFolder:
    """A job folder as an upload leaves it: the video, and the subtitles' cues parsed once."""
    folder = JobFolder(tmp_path / "job")
    folder.create()
    shutil.copy(clip.video, folder.video)
    if subtitles:
        shutil.copy(clip.srt, folder.subtitles)
        folder.save_cues(parse(clip.srt.read_bytes()))
    return folder


class Recorder(JobReport):
    """A JobReport on a real store that also keeps every progress step and shot it was given."""

    def __init__(self, tmp_path: Path, job_id: str) -> None:
        super().__init__(SQLiteJobStore(tmp_path / "jobs.sqlite3"), job_id, "token")
        self.store.create(job_id, {})
        self.store.claim("test", "token", 3600, job_id=job_id)
        self.steps: list[float] = []
        self.indices: list[int] = []

    def progress(self, fraction: float, processed_s: float | None = None) -> None:
        super().progress(fraction, processed_s)
        self.steps.append(fraction)

    def shots(self, shots: list[Any]) -> None:
        super().shots(shots)
        self.indices += [shot.index for shot in shots]


def run_job(settings: GatewaySettings, folder: JobFolder, *, live: bool = True) -> tuple[dict[str, Any], list[float]]:
    """The pipeline's result for the job in ``folder`` and the progress it reported."""
    metrics = GatewayMetrics()
    job = Job("0" * 32, "running", 0.0, time.time(), time.time(), {}, None, None, None)
    report = Recorder(folder.root.parent, job.id)

    async def run() -> dict[str, Any]:
        apps = {"face": face_app(), "text": text_app(), "fusion": fusion_app()} if live else {}
        async with serving(apps) as http:
            pipeline = Pipeline(settings, ServiceClients(settings, metrics, http), metrics)
            try:
                return await pipeline(job, folder, report)
            finally:
                await pipeline.close()

    result = asyncio.run(run())
    assert sorted(report.indices) == [shot["index"] for shot in result["shots"]]  # each stored as it finished
    return result, report.steps


@pytest.mark.slow
def test_a_job_with_subtitles_and_the_audio_service_down(tmp_path: Path, clip: Sample) -> None:
    settings = GatewaySettings(data_dir=tmp_path, retries=0, **URLS)
    result, steps = run_job(settings, job_folder(tmp_path, clip))

    assert steps == sorted(steps) and 0 < steps[-1] <= 0.99  # video time analysed; 1.0 once stored
    video, shots = result["video"], result["shots"]
    assert result["text_source"] == "subtitles" and result["settings"]["shot_detector"] == "cascade"
    assert shots[0]["start_frame"] == 0 and shots[-1]["end_frame"] == video["frames"] - 1
    for before, after in itertools.pairwise(shots):
        assert after["start_frame"] == before["end_frame"] + 1
    starts = [shot["start_s"] for shot in shots]
    for cut in clip.cut_times_s:
        assert min(abs(cut - s) for s in starts) <= 2 / video["fps"], (cut, starts)

    assert {line for shot in shots for line in shot["text"]["lines"]} == {cue.text for cue in clip.cues}
    assert any(shot["face"]["frames_with_face"] > 0 for shot in shots)
    for shot in shots:
        if shot["audio"] is None:
            assert "ConnectError" in shot["errors"]["audio"]
        else:  # too short to ask the service
            assert shot["audio"]["speech"] is False
        assert shot["fused"] is not None and "audio" not in shot["fused"]["modalities_used"]
        assert set(shot.get("errors", {})) <= {"audio"}


def test_nested_shot_settings_choose_the_detector_and_the_limits(tmp_path: Path, clip: Sample) -> None:
    shots = ShotSettings(detector="content", max_shot_s=1.0)
    settings = GatewaySettings(data_dir=tmp_path, retries=0, shots=shots, **URLS)
    result, _ = run_job(settings, job_folder(tmp_path, clip, subtitles=False), live=False)

    assert result["settings"]["shot_detector"] == "content"
    frame = 1 / result["video"]["fps"]
    assert all(s["end_s"] - s["start_s"] <= 1.0 + frame for s in result["shots"])
    assert "split" in {s["transition"] for s in result["shots"]}
    for shot in result["shots"]:  # every service down: nothing guessed, every reason given
        assert shot["face"] is None and shot["fused"] is None
        assert {"face", "fused", "text"} <= set(shot["errors"])


def test_the_gateway_settings_choose_the_shot_detector_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EMO_GATEWAY_SHOTS__DETECTOR", "adaptive")
    monkeypatch.setenv("EMO_GATEWAY_SHOTS__MIN_SHOT_S", "1.5")
    settings = GatewaySettings(data_dir=tmp_path)
    assert settings.shots == ShotSettings(detector="adaptive", min_shot_s=1.5)
    assert Pipeline(settings, ServiceClients(settings, GatewayMetrics()), GatewayMetrics()).detector_name == "adaptive"
    monkeypatch.setenv("EMO_GATEWAY_TRITON_URL", "triton:8000")
    monkeypatch.delenv("EMO_GATEWAY_SHOTS__DETECTOR")
    assert GatewaySettings().shots.detector_name() == "cascade"


def test_the_model_repository_setting_reaches_the_shot_detector(tmp_path: Path, clip: Sample) -> None:
    empty = tmp_path / "no_models"  # TransNetV2 over every frame: the cascade may need no model read on this clip
    settings = GatewaySettings(data_dir=tmp_path, model_repository=empty, inference_threads=1,
                               shots=ShotSettings(detector="transnetv2"), **URLS)
    with pytest.raises(ModelNotReady, match=re.escape(f"not found at {empty}")):
        run_job(settings, job_folder(tmp_path, clip, subtitles=False), live=False)


def test_the_triton_retries_setting_reaches_the_shot_detector(
    tmp_path: Path, clip: Sample, caplog: pytest.LogCaptureFixture
) -> None:
    settings = GatewaySettings(data_dir=tmp_path, triton_url="127.0.0.1:9", triton_retries=2,
                               triton_timeout_s=2.0, shots=ShotSettings(detector="transnetv2"), **URLS)
    with pytest.raises(BackendUnavailable, match=re.escape("unavailable for model 'transnetv2'")):
        run_job(settings, job_folder(tmp_path, clip, subtitles=False), live=False)
    assert "triton at 127.0.0.1:9 failed for transnetv2 after 3 attempts" in caplog.text  # the log has the details
