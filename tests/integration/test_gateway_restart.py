"""A gateway restart loses no finished result, fails interrupted jobs, resumes queued ones."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devtools.sample_video import cached
from devtools.serve import free_port
from gateway.app import create_app
from gateway.jobs import INTERRUPTED
from gateway.settings import GatewaySettings
from gateway.store_sqlite import SQLiteJobStore


def settings_for(tmp_path: Path) -> GatewaySettings:
    dead = f"http://127.0.0.1:{free_port()}"
    return GatewaySettings(
        data_dir=tmp_path, face_url=dead, text_url=dead, audio_url=dead, fusion_url=dead, retries=0
    )


def wait_done(client: TestClient, url: str) -> dict[str, Any]:
    for _ in range(300):
        body: dict[str, Any] = client.get(url).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(body)


@pytest.mark.slow
def test_restart_keeps_results_and_recovers_jobs(tmp_path: Path) -> None:
    clip = cached("small")
    with TestClient(create_app(settings_for(tmp_path))) as client:
        response = client.post(
            "/v1/videos", params={"wait": "true"}, files={"video": ("a.mp4", clip.video.read_bytes(), "video/mp4")}
        )
        assert response.status_code == 200
        finished = response.json()["id"]
        before = client.get(f"/v1/videos/{finished}").json()

    # What a crash leaves behind: one job marked running, one queued with its upload on disk.
    store = SQLiteJobStore(tmp_path / "jobs.sqlite3")
    store.create("a" * 32, {})
    store.claim("crashed-gateway", "token", 30, job_id="a" * 32)
    (tmp_path / "jobs" / ("a" * 32)).mkdir(parents=True)
    store.create("b" * 32, {})
    folder = tmp_path / "jobs" / ("b" * 32)
    folder.mkdir(parents=True)
    shutil.copy(clip.video, folder / "input.video")
    store.close()

    with TestClient(create_app(settings_for(tmp_path))) as client:
        assert client.get(f"/v1/videos/{finished}").json() == before
        interrupted = client.get(f"/v1/videos/{'a' * 32}").json()
        assert interrupted["status"] == "failed" and interrupted["error"] == INTERRUPTED
        assert client.get(f"/v1/videos/{'a' * 32}/result.csv").status_code == 409
        assert not (tmp_path / "jobs" / ("a" * 32)).exists()  # its upload is cleaned up
        resumed = wait_done(client, f"/v1/videos/{'b' * 32}")
        assert resumed["status"] == "done" and len(resumed["result"]["shots"]) == 4
