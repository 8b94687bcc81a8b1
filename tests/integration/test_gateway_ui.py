"""The review page's routes and the thumbnail route, in process, with the modality services down.

The pages are static and need no key; the data they read (job list, status,
thumbnails) is behind the API key like every /v1 route. A job still gets its
thumbnails when every modality service is down (they come from the decoded frames),
and they outlive the job's clean-up. The page itself is driven in a browser in
tests/e2e/test_review_page.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from devtools.sample_video import Sample, cached
from gateway.app import create_app
from tests.integration.test_gateway_api import settings_for, upload

KEY = {"X-API-Key": "s3cret"}


def finished(client: TestClient, status_url: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while (body := client.get(status_url, headers=KEY).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
    return body


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path, api_key="s3cret"))) as test_client:
        yield test_client


def test_pages_need_no_key_and_allow_only_their_own_files(client: TestClient) -> None:
    for path, marker in [("/ui/", "recent jobs"), ("/ui/videos/0123456789abcdef0123456789abcdef", 'id="strip"')]:
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert marker in response.text
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert client.get("/ui", follow_redirects=False).headers["location"] == "/ui/"
    for name, kind in [("review.js", "text/javascript"), ("style.css", "text/css")]:
        response = client.get(f"/ui/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
    for name in ["review.html", "nope.js", "..%2Fui.py", "%2E%2E%2F%2E%2E%2Fsettings.py"]:
        response = client.get(f"/ui/static/{name}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_the_job_list_and_thumbnails_need_the_key(client: TestClient) -> None:
    job = "0123456789abcdef0123456789abcdef"
    assert client.get("/ui/jobs.json").status_code == 401
    assert client.get(f"/v1/videos/{job}/shots/0/thumbnail.jpg").status_code == 401
    assert client.get("/ui/jobs.json", headers=KEY).json() == {"jobs": []}
    assert client.get("/ui/jobs.json?limit=0", headers=KEY).status_code == 422
    missing = client.get(f"/v1/videos/{job}/shots/0/thumbnail.jpg", headers=KEY)
    assert missing.status_code == 404 and job in missing.json()["error"]["message"]
    assert client.get(f"/v1/videos/{job}/shots/-1/thumbnail.jpg", headers=KEY).status_code == 422
    assert client.get("/v1/videos/../shots/0/thumbnail.jpg", headers=KEY).status_code == 404


@pytest.mark.slow
def test_a_finished_job_keeps_one_thumbnail_per_shot(client: TestClient, tmp_path: Path) -> None:
    clip: Sample = cached("small")
    accepted = upload(client, clip.video.read_bytes(), clip.srt.read_bytes(), headers=KEY).json()
    running = client.get(f"/v1/videos/{accepted['id']}/shots/0/thumbnail.jpg", headers=KEY)
    assert running.status_code in (200, 404)  # 404 only while the job has not got there
    body = finished(client, accepted["status_url"])
    assert body["status"] == "done"
    shots = body["result"]["shots"]
    for shot in shots:
        response = client.get(f"/v1/videos/{accepted['id']}/shots/{shot['index']}/thumbnail.jpg", headers=KEY)
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        image = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[1] == 160
    beyond = client.get(f"/v1/videos/{accepted['id']}/shots/{len(shots)}/thumbnail.jpg", headers=KEY)
    assert beyond.status_code == 404 and "has no shot 4 (it has 4 shots)" in beyond.json()["error"]["message"]
    listed = client.get("/ui/jobs.json", headers=KEY).json()["jobs"]
    assert [(j["id"], j["status"], j["filename"]) for j in listed] == [(accepted["id"], "done", "clip.mp4")]
    assert listed[0]["duration_s"] == pytest.approx(clip.duration_s, abs=0.1)
