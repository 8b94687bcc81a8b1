"""Every service, as its own process over real HTTP, answers 429 with ``Retry-After`` when full.

Each service runs with a concurrency limit of one (``EMO_<SERVICE>_MAX_CONCURRENT_REQUESTS=1``).
One request is held in flight on a raw socket: its headers are sent, its body is not
finished, so the service counts it as busy. A second, complete request must then be
refused at once with 429, ``{"error": {"code": "overloaded", ...}}`` naming the limit and
a ``Retry-After`` header; once the first request is gone the service serves again.
The gateway's other limit, a full job queue, is refused the same way.
"""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile

from devtools.media import encode
from devtools.sample_video import cached
from devtools.serve import LocalStack

pytestmark = pytest.mark.slow

PREFIX = {"face": "EMO_FACE_", "text": "EMO_TEXT_", "audio": "EMO_AUDIO_", "fusion": "EMO_FUSION_",
          "gateway": "EMO_GATEWAY_"}
# (path, content type, a complete small body) of a work request per service.
ROUTES = {
    "face": ("/v1/predict", "multipart/form-data; boundary=xyzzy", None),
    "text": ("/v1/predict", "application/json", b'{"texts": ["I am so happy today!"]}'),
    "audio": ("/v1/predict", "audio/wav", None),
    "fusion": ("/v1/fuse", "application/json", b'{"shots": [{"face": null, "text": null, "audio": null}]}'),
    "gateway": ("/v1/videos", "multipart/form-data; boundary=xyzzy", None),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    root: Path = tmp_path_factory.mktemp("overload")
    env = {f"{prefix}MAX_CONCURRENT_REQUESTS": "1" for prefix in PREFIX.values()}
    # The gateway runs no jobs here (JOB_WORKERS=0), so a submitted job stays queued and
    # one queued job fills its queue of one; a held upload is admitted (it holds that place).
    env |= {"EMO_GATEWAY_DATA_DIR": str(root / "gateway"), "EMO_GATEWAY_QUEUE_SIZE": "1",
            "EMO_GATEWAY_JOB_WORKERS": "0"}
    with LocalStack.on_free_ports(env=env, log_dir=root / "logs", ready_timeout_s=300) as running:
        yield running


@contextmanager
def held_in_flight(url: str, path: str, content_type: str, start: bytes) -> Iterator[None]:
    """A request whose headers and first body bytes (``start``) are sent and whose body is
    never finished, held open."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: 100000\r\n\r\n")
        sock.sendall(head.encode() + start)
        deadline = time.monotonic() + 30
        while in_flight(url) < 2:  # the held request and this /metrics request itself
            assert time.monotonic() < deadline, "the held request never reached the service"
            time.sleep(0.05)
        yield


def in_flight(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("emo_http_requests_in_flight{"))


def small_request(name: str) -> tuple[str, dict[str, str], bytes]:
    path, content_type, body = ROUTES[name]
    if name == "audio":
        buffer = io.BytesIO()
        soundfile.write(buffer, np.zeros(16000, np.float32), 16000, format="WAV")
        body = buffer.getvalue()
    elif body is None:  # multipart: one small PNG frame (face) or one "video" that is a PNG (gateway)
        field = "files" if name == "face" else "video"
        png = encode(np.zeros((32, 32, 3), np.uint8), "PNG")
        body = (b"--xyzzy\r\nContent-Disposition: form-data; name=\"" + field.encode()
                + b"\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n" + png + b"\r\n--xyzzy--\r\n")
    return path, {"Content-Type": content_type}, body


@pytest.mark.parametrize("name", list(PREFIX))
def test_a_full_service_answers_429_with_retry_after_then_serves_again(stack: LocalStack, name: str) -> None:
    url = stack.url(name)
    path, headers, body = small_request(name)
    # A valid beginning (a multipart body must open with its boundary), never finished.
    with held_in_flight(url, path, headers["Content-Type"], body[: len(body) // 2]):
        began = time.monotonic()
        response = httpx.post(f"{url}{path}", content=body, headers=headers, timeout=30)
        assert time.monotonic() - began < 5  # refused at once, not queued
        assert response.status_code == 429, response.text
        assert int(response.headers["Retry-After"]) >= 1
        error = response.json()["error"]
        assert error["code"] == "overloaded" and "limit 1" in error["message"]
        assert httpx.get(f"{url}/health/ready", timeout=10).status_code == 200  # probes are never refused
    deadline = time.monotonic() + 10
    while (again := httpx.post(f"{url}{path}", content=body, headers=headers, timeout=60)).status_code == 429:
        assert time.monotonic() < deadline, "still refusing after the held request was closed"
        time.sleep(0.2)
    assert again.status_code != 429


def test_the_gateway_refuses_a_job_when_its_queue_is_full(stack: LocalStack) -> None:
    url = stack.url("gateway")
    clip = cached("small")  # a real video: the demo sample
    files = {"video": ("clip.mp4", clip.video.read_bytes(), "video/mp4")}
    assert httpx.post(f"{url}/v1/videos", files=files, timeout=60).status_code == 202  # queued, not run
    response = httpx.post(f"{url}/v1/videos", files=files, timeout=60)
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) > 0
    error = response.json()["error"]
    assert error["code"] == "overloaded" and "limit 1" in error["message"]
