"""The jobs API a content system uses, over real HTTP: list, cancel, delete, idempotent submit, metadata.

The gateway runs under uvicorn in a thread (tests/integration/gateway_http.py) and runs every
job through its real pipeline (probe, decode, shot detection) on real one-second
MP4 clips. Its downstream services are either a closed port (jobs finish at once,
every modality null with its reason) or, where a job must stay *running*, a face
service that accepts the connection and never answers. Webhooks go to a real HTTP
receiver. Files are checked on disk under the gateway's data directory.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.gateway_http import (
    Hooks,
    Silent,
    delete,
    gateway_settings,
    get,
    post,
    post_to,
    running_gateway,
    tiny_clip,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip() -> bytes:
    return tiny_clip()


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    yield server
    server.close()


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    receiver = Hooks()
    yield receiver
    receiver.close()


def status_of(url: str, job_id: str) -> dict[str, Any]:
    body: dict[str, Any] = get(f"{url}/v1/videos/{job_id}").json()
    return body


def wait_status(url: str, job_id: str, wanted: str, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = status_of(url, job_id)
        if body["status"] == wanted:
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} not {wanted} after {timeout_s} s: {body}")


def folder(root: Path, job_id: str) -> Path:
    return root / "jobs" / job_id


def submitted_total(url: str) -> float:
    for family in text_string_to_metric_families(get(f"{url}/metrics").text):
        for sample in family.samples:
            if sample.name == "emo_gateway_jobs_total" and sample.labels == {"state": "submitted"}:
                return sample.value
    raise AssertionError("emo_gateway_jobs_total{state=submitted} missing")


def all_pages(url: str, limit: int, status: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Every job of the listing, following next_cursor; (jobs, number of pages)."""
    jobs: list[dict[str, Any]] = []
    cursor, pages = None, 0
    while True:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        response = get(f"{url}/v1/videos", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["jobs"]) <= limit
        jobs.extend(body["jobs"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return jobs, pages


def test_listing_pages_25_jobs_by_status_newest_first(tmp_path: Path, clip: bytes, silent: Silent) -> None:
    with running_gateway(gateway_settings(tmp_path, face_url=silent.url, timeout_s=120, queue_size=30)) as url:
        ids = [post(url, clip, metadata=f'{{"n": {n}}}').json()["id"] for n in range(25)]
        wait_status(url, ids[0], "running")  # the first job hangs on the face service; the rest wait
        cancelled = ids[1::3]
        for job_id in cancelled:
            response = post_to(f"{url}/v1/videos/{job_id}/cancel")
            assert response.status_code == 200 and response.json()["status"] == "cancelled"
        queued = [i for i in ids[1:] if i not in cancelled]

        everything, pages = all_pages(url, limit=10)
        assert [j["id"] for j in everything] == ids[::-1] and pages == 3
        by_status = {s: all_pages(url, limit=5, status=s) for s in ("queued", "cancelled", "running", "done")}
        assert [j["id"] for j in by_status["queued"][0]] == queued[::-1] and by_status["queued"][1] == 4
        assert [j["id"] for j in by_status["cancelled"][0]] == cancelled[::-1]
        assert [j["id"] for j in by_status["running"][0]] == [ids[0]]
        assert by_status["done"] == ([], 1)

        first = everything[-1]
        assert first["metadata"] == {"n": 0} and "result" not in first
        assert first["video"] == {"duration_s": pytest.approx(1.0, abs=0.11), "fps": 10.0, "width": 64, "height": 48}
        assert first["created_at"].endswith("Z") and first["updated_at"] >= first["created_at"]
        assert first["expires_at"] is None and everything[0]["expires_at"] is None  # running, queued
        assert by_status["cancelled"][0][0]["expires_at"] > by_status["cancelled"][0][0]["updated_at"]
        for job_id in reversed(ids):  # clean up (queued first): a queued or running job is cancelled by DELETE
            assert delete(f"{url}/v1/videos/{job_id}").status_code == 204
        assert get(f"{url}/v1/videos").json() == {"jobs": [], "next_cursor": None}


def test_deleting_a_running_job_cancels_it_and_frees_the_worker(
    tmp_path: Path, clip: bytes, silent: Silent, hooks: Hooks
) -> None:
    with running_gateway(gateway_settings(tmp_path, face_url=silent.url, timeout_s=120)) as url:
        meta = '{"asset_id": "A-1"}'
        first = post(url, clip, webhook_url=hooks.url, metadata=meta).json()["id"]
        second = post(url, clip, webhook_url=hooks.url).json()["id"]
        wait_status(url, first, "running")
        assert status_of(url, second)["status"] == "queued"  # one worker, busy with the first
        assert (folder(tmp_path, first) / "input.video").is_file()

        started = time.monotonic()
        response = delete(f"{url}/v1/videos/{first}")
        assert response.status_code == 204 and response.content == b""
        assert get(f"{url}/v1/videos/{first}").status_code == 404
        assert not folder(tmp_path, first).exists()
        webhook = hooks.wait_for(first, "cancelled")
        assert webhook["metadata"] == {"asset_id": "A-1"} and "result" not in webhook
        wait_status(url, second, "running", timeout_s=5)  # the worker took the next job
        assert time.monotonic() - started < 5

        # Cancel without deleting: the record stays, as cancelled, with its expiry.
        response = post_to(f"{url}/v1/videos/{second}/cancel")
        assert response.status_code == 200
        body = wait_status(url, second, "cancelled")
        assert body["error"] == "cancelled by the client" and body["expires_at"] is not None
        assert hooks.wait_for(second, "cancelled")["id"] == second
        deadline = time.monotonic() + 5
        while folder(tmp_path, second).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not folder(tmp_path, second).exists()
        again = post_to(f"{url}/v1/videos/{second}/cancel")
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_ended"


def test_deleting_a_finished_job_removes_its_result_and_files(tmp_path: Path, clip: bytes) -> None:
    with running_gateway(gateway_settings(tmp_path, keep_uploads=True)) as url:
        response = post(url, clip, wait="true")
        assert response.status_code == 200, response.text
        job_id = response.json()["id"]
        assert (folder(tmp_path, job_id) / "input.video").is_file()
        assert get(f"{url}/v1/videos/{job_id}/result.csv").status_code == 200

        assert delete(f"{url}/v1/videos/{job_id}").status_code == 204
        assert get(f"{url}/v1/videos/{job_id}").status_code == 404
        assert get(f"{url}/v1/videos/{job_id}/result.csv").status_code == 404
        assert not folder(tmp_path, job_id).exists()
        again = delete(f"{url}/v1/videos/{job_id}")
        assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"


def test_a_retry_with_the_same_idempotency_key_returns_the_same_job(tmp_path: Path, clip: bytes) -> None:
    with running_gateway(gateway_settings(tmp_path)) as url:
        key = {"Idempotency-Key": "upload-7c1d0e5e-retry-test"}
        first = post(url, clip, headers=key, metadata='{"asset_id": "A-7"}')
        assert first.status_code == 202 and "idempotent-replayed" not in first.headers
        job_id = first.json()["id"]
        retry = post(url, clip, headers=key, metadata='{"asset_id": "A-7"}')
        assert retry.status_code == 202 and retry.json() == first.json()
        assert retry.headers["idempotent-replayed"] == "true" and retry.headers["location"] == f"/v1/videos/{job_id}"
        waited = post(url, clip, headers=key, metadata='{"asset_id": "A-7"}', wait="true")
        assert waited.status_code == 200 and waited.json()["id"] == job_id and waited.json()["status"] == "done"
        assert submitted_total(url) == 1  # no second job was started
        assert [j["id"] for j in get(f"{url}/v1/videos").json()["jobs"]] == [job_id]

        for changed in ({"metadata": '{"asset_id": "A-8"}'}, {"metadata": '{"asset_id": "A-7"}', "video": b"other"}):
            video = tiny_clip(shade=90) if "video" in changed else clip
            conflict = post(url, video, headers=key, metadata=str(changed["metadata"]))
            assert conflict.status_code == 409
            error = conflict.json()["error"]
            assert error["code"] == "idempotency_key_reused" and "different request" in error["message"]
        assert submitted_total(url) == 1

        other = post(url, clip, headers={"Idempotency-Key": "another-key"}, metadata='{"asset_id": "A-7"}')
        assert other.status_code == 202 and other.json()["id"] != job_id  # a new key is a new job


def test_metadata_is_echoed_in_status_list_result_and_webhook(tmp_path: Path, clip: bytes, hooks: Hooks) -> None:
    metadata = {"asset_id": "MAM-2026-000417", "tags": ["news", "evening"], "priority": 2, "nested": {"ok": True}}
    with running_gateway(gateway_settings(tmp_path)) as url:
        response = post(url, clip, wait="true", webhook_url=hooks.url, metadata=json.dumps(metadata))
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["metadata"] == metadata and result["status"] == "done" and result["shots"]
        job_id = result["id"]
        status = status_of(url, job_id)
        assert status["metadata"] == metadata and status["result"]["shots"] == result["shots"]
        listed = get(f"{url}/v1/videos", params={"status": "done"}).json()["jobs"]
        assert listed[0]["id"] == job_id and listed[0]["metadata"] == metadata
        webhook = hooks.wait_for(job_id, "done")
        assert webhook["metadata"] == metadata and webhook["result"]["shots"] == result["shots"]


def test_the_retention_sweep_removes_expired_jobs_and_orphaned_folders(tmp_path: Path, clip: bytes) -> None:
    settings = gateway_settings(tmp_path, keep_uploads=True, result_retention_s=2, sweep_interval_s=0.2, orphan_grace_s=60)
    orphan, fresh = folder(tmp_path, "f" * 32), folder(tmp_path, "e" * 32)
    with running_gateway(settings) as url:
        for path in (orphan, fresh):
            path.mkdir(parents=True)
            (path / "input.video").write_bytes(b"left behind")
        old = time.time() - 120
        for target in (orphan / "input.video", orphan):
            os.utime(target, (old, old))
        response = post(url, clip, wait="true")
        job_id = response.json()["id"]
        status = status_of(url, job_id)
        assert status["status"] == "done"
        expires = status["expires_at"]
        assert expires > status["updated_at"]
        assert (folder(tmp_path, job_id) / "input.video").is_file()  # kept until it expires
        deadline = time.monotonic() + 20
        while get(f"{url}/v1/videos/{job_id}").status_code != 404:
            assert time.monotonic() < deadline, "the expired job was not swept"
            time.sleep(0.1)
        assert time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) >= expires[:19]  # not before its time
        assert not folder(tmp_path, job_id).exists()
        assert not orphan.exists()  # no job row, untouched for longer than the grace period
        assert fresh.exists()  # no job row yet, but recent: an upload may still be arriving
