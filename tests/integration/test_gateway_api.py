"""The gateway's HTTP API in process, with every downstream service unreachable.

Checks what a caller sees before and around the analysis: uploads are validated
(probe, subtitles, fields, size) before a job exists, a job still completes when
no modality service answers (each modality null with its reason), queue limits,
API key, webhooks, CSV, metrics names. The same flows against the real services
running as processes are in tests/e2e.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from devtools.sample_video import Sample, cached
from devtools.serve import free_port
from gateway.app import create_app
from gateway.settings import GatewaySettings


@pytest.fixture(scope="module")
def clip() -> Sample:
    return cached("small")


def settings_for(tmp_path: Path, **overrides: Any) -> GatewaySettings:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    base: dict[str, Any] = {
        "data_dir": tmp_path, "face_url": dead, "text_url": dead, "audio_url": dead,
        "fusion_url": dead, "retries": 0, "backoff_s": 0.01,
    }
    return GatewaySettings(**{**base, **overrides})


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path))) as test_client:
        yield test_client


def upload(client: TestClient, video: bytes, subtitles: bytes | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    files: dict[str, Any] = {"video": ("clip.mp4", video, "video/mp4")}
    if subtitles is not None:
        files["subtitles"] = ("clip.srt", subtitles, "application/x-subrip")
    return client.post("/v1/videos", files=files, **kwargs)


def wait_done(client: TestClient, status_url: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(status_url).json()
        assert 0.0 <= body["progress"] <= 1.0
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"job not finished after {timeout_s} s: {body}")


def job_folders(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "jobs").glob("*")) if (tmp_path / "jobs").exists() else []


@pytest.mark.slow
def test_job_completes_with_every_service_down(client: TestClient, clip: Sample, tmp_path: Path) -> None:
    response = upload(client, clip.video.read_bytes(), clip.srt.read_bytes())
    assert response.status_code == 202
    accepted = response.json()
    assert set(accepted) == {"id", "status_url"} and response.headers["location"] == accepted["status_url"]
    body = wait_done(client, accepted["status_url"])
    assert body["status"] == "done" and body["progress"] == 1.0
    result = body["result"]
    assert result["video"]["width"] == 352 and result["video"]["duration_s"] == pytest.approx(clip.duration_s, abs=0.1)
    shots = result["shots"]
    assert len(shots) == 4  # the sample's three hard cuts
    for shot in shots:
        assert shot["face"] is None and shot["audio"] is None and shot["text"] is None and shot["fused"] is None
        assert set(shot["errors"]) == {"face", "audio", "text", "fused"}
        assert "ConnectError" in shot["errors"]["face"] or "circuit open" in shot["errors"]["face"]
    assert shots[0]["errors"]["text"].startswith("text failed")
    folders = job_folders(tmp_path)  # the upload is removed once the job ends; thumbnails stay
    assert [p.name for p in folders] == [accepted["id"]]
    assert sorted(p.relative_to(folders[0]).as_posix() for p in folders[0].rglob("*")) == [
        "thumbnails", *(f"thumbnails/{i}.jpg" for i in range(4))
    ]
    csv_text = client.get(f"{accepted['status_url']}/result.csv").text
    assert csv_text.count("\n") == 5 and csv_text.startswith("index,start_s,end_s")


@pytest.mark.parametrize(
    ("video", "status", "message"),
    [
        (b"", 422, "empty"),
        (b"hello, this is plainly not a video at all" * 10, 415, "not a video format"),
    ],
    ids=["empty", "text-file"],
)
def test_unreadable_video_is_refused_before_a_job_exists(
    client: TestClient, tmp_path: Path, video: bytes, status: int, message: str
) -> None:
    response = upload(client, video)
    assert response.status_code == status
    assert message in response.json()["error"]["message"]
    assert job_folders(tmp_path) == []


def test_truncated_video_is_refused(client: TestClient, clip: Sample) -> None:
    data = clip.video.read_bytes()
    response = upload(client, data[: len(data) // 50])
    assert response.status_code in (415, 422)


def test_malformed_subtitles_get_a_clear_422(client: TestClient, clip: Sample, tmp_path: Path) -> None:
    response = upload(client, clip.video.read_bytes(), b"1\n00:00:01,000 --> whenever\nhello\n")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_subtitles" and "clip.srt: line 2" in error["message"]
    assert job_folders(tmp_path) == []


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": {"note": "x"}, "files": {"other": ("a.bin", b"x", "video/mp4")}}, 422, "invalid_input"),
        ({"data": {"webhook_url": "http://x"}, "files": {"subtitles": ("a.srt", b"x", "text/plain")}}, 422, "invalid_input"),
        ({"json": {"video": "clip.mp4"}}, 415, "unsupported_media_type"),
    ],
    ids=["unknown-field", "no-video", "not-multipart"],
)
def test_bad_requests(client: TestClient, kwargs: dict[str, Any], status: int, code: str) -> None:
    response = client.post("/v1/videos", **kwargs)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_url_input_and_webhooks_are_off_by_default(client: TestClient, clip: Sample) -> None:
    response = client.post("/v1/videos", files={"video_url": (None, "http://example.com/v.mp4")})
    assert response.status_code == 422 and "disabled" in response.json()["error"]["message"]
    response = upload(client, clip.video.read_bytes(), data={"webhook_url": "http://example.com/hook"})
    assert response.status_code == 422 and "webhook_url is disabled" in response.json()["error"]["message"]


def test_upload_size_limit_with_and_without_content_length(tmp_path: Path, clip: Sample) -> None:
    with TestClient(create_app(settings_for(tmp_path, max_request_bytes=100_000))) as client:
        response = upload(client, clip.video.read_bytes())
        assert response.status_code == 413

        def chunked() -> Iterator[bytes]:
            boundary = b"--b0undary"
            yield boundary + b'\r\nContent-Disposition: form-data; name="video"; filename="v.mp4"\r\n\r\n'
            for _ in range(50):
                yield b"\0" * 10_000
            yield b"\r\n" + boundary + b"--\r\n"

        response = client.post(
            "/v1/videos", content=chunked(), headers={"Content-Type": "multipart/form-data; boundary=b0undary"}
        )
        assert response.status_code == 413
        assert job_folders(tmp_path) == []


def test_full_queue_answers_429_with_retry_after(tmp_path: Path, clip: Sample) -> None:
    with TestClient(create_app(settings_for(tmp_path, queue_size=0))) as client:
        response = upload(client, clip.video.read_bytes())
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
        assert job_folders(tmp_path) == []


def test_unknown_job_is_404(client: TestClient) -> None:
    assert client.get("/v1/videos/0123456789abcdef0123456789abcdef").status_code == 404
    assert client.get("/v1/videos/../../etc/passwd").status_code == 404
    assert client.get("/v1/videos/nope/result.csv").status_code == 404


def test_api_key_guards_the_v1_routes_only(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, api_key="s3cret"))) as client:
        assert client.get("/v1/videos/0123456789abcdef0123456789abcdef").status_code == 401
        assert client.get("/v1/videos/0123456789abcdef0123456789abcdef", headers={"X-API-Key": "s3cret"}).status_code == 404
        assert client.get("/health/live").status_code == 200


@pytest.mark.parametrize("key", ["ключ".encode(), "s3crét".encode("latin-1"), b"\xff\xfe"])
def test_a_non_ascii_api_key_is_401_not_500(tmp_path: Path, key: bytes) -> None:
    with TestClient(create_app(settings_for(tmp_path, api_key="s3cret")), raise_server_exceptions=False) as client:
        response = client.get(f"/v1/videos/{'0' * 32}", headers={"X-API-Key": key})  # type: ignore[dict-item]
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("hook", "message"),
    [("http://127.0.0.1:{port}/done", "loopback"), ("http://169.254.169.254/latest", "link-local"),
     ("http://127.0.0.1:22/done", "port 22 is not allowed")],
)
def test_a_webhook_to_an_internal_address_is_refused_at_submit(tmp_path: Path, clip: Sample, hook: str, message: str) -> None:
    port = free_port()
    settings = settings_for(
        tmp_path, webhook_allow_list=["127.0.0.1", "169.254.169.254"], remote_ports=[80, 443, port]
    )
    with TestClient(create_app(settings)) as client:
        response = upload(client, clip.video.read_bytes(), data={"webhook_url": hook.format(port=port)})
        assert response.status_code == 422
        assert message in response.json()["error"]["message"]
        assert job_folders(tmp_path) == []


class Hooks(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Hooks.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.slow
def test_webhook_gets_the_final_status_and_wait_returns_the_result(tmp_path: Path, clip: Sample) -> None:
    server = HTTPServer(("127.0.0.1", 0), Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook = f"http://127.0.0.1:{server.server_port}/done"
    try:
        local_hooks = settings_for(  # a loopback webhook is refused unless explicitly allowed
            tmp_path, webhook_allow_list=["127.0.0.1"], remote_allow_private=True, remote_ports=[server.server_port]
        )
        with TestClient(create_app(local_hooks)) as client:
            response = upload(client, clip.video.read_bytes(), params={"wait": "true"}, data={"webhook_url": hook})
            assert response.status_code == 200
            body = response.json()
            assert body["status"] == "done" and len(body["shots"]) == 4 and "video" in body
            deadline = time.monotonic() + 10
            while not Hooks.received and time.monotonic() < deadline:
                time.sleep(0.1)
            assert Hooks.received[-1]["id"] == body["id"] and Hooks.received[-1]["status"] == "done"
            assert Hooks.received[-1]["result"]["shots"][0]["index"] == 0

            # emo_gateway_jobs (gauge) and emo_gateway_jobs_total (counter) share a family name
            # in the parser's eyes: keep every family, not one per name.
            families = list(text_string_to_metric_families(client.get("/metrics").text))
            names = {f.name for f in families}
            for name in (
                "emo_gateway_jobs", "emo_gateway_queue_depth", "emo_gateway_video_seconds_processed",
                "emo_gateway_shots_processed", "emo_gateway_frames_processed",
                "emo_gateway_stage_duration_seconds", "emo_gateway_downstream_in_flight",
                "emo_gateway_downstream_requests", "emo_gateway_circuit_state", "emo_http_requests",
            ):
                assert name in names, name
            samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}
            assert samples[("emo_gateway_jobs_total", (("state", "done"),))] == 1
            assert samples[("emo_gateway_jobs", (("state", "running"),))] == 0
            assert samples[("emo_gateway_shots_processed_total", ())] == 4
            assert samples[("emo_gateway_video_seconds_processed_total", ())] == pytest.approx(clip.duration_s, abs=0.1)
            assert samples[("emo_gateway_circuit_state", (("service", "face"),))] in (0, 1, 2)
    finally:
        server.shutdown()


def test_openapi_documents_the_result_shot_by_shot(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    status = spec["paths"]["/v1/videos/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert status["$ref"].endswith("/JobStatus")
    assert set(schemas["JobResult"]["properties"]) >= {"video", "shots", "partial", "processed_s", "text_source"}
    shot = schemas["ShotResult"]["properties"]
    assert set(shot) >= {"index", "start_frame", "end_frame", "start_s", "end_s", "face", "text", "audio", "fused", "errors"}
    assert set(schemas["FaceResult"]["properties"]) >= {"frames", "frames_with_face", "label", "scores", "aggregation"}
