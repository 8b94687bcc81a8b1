"""Faults a deployment meets: a modality service that hangs, an inference server that is down or hangs.

- A hanging text and audio service (a socket that accepts and never answers): the
  job still finishes within a bound, face and fusion come from the real services
  (processes, embedded models), text and audio are ``null`` with a timeout reason.
- Triton unreachable or hanging behind the face and text services: requests that
  need inference answer 503 ``backend_unavailable`` with ``Retry-After`` within the
  configured timeout, ``/health/ready`` is 503, and the service keeps answering.
Covered elsewhere, not repeated: the face service killed mid-job
(tests/e2e/test_video_jobs.py), a gateway restart mid-job
(tests/integration/test_gateway_restart.py).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devtools.sample_video import cached
from devtools.samples import skimage_image
from devtools.serve import LocalStack, free_port
from gateway.app import create_app as gateway_app
from gateway.settings import GatewaySettings
from services.face.app import create_app as face_app
from services.face.settings import FaceSettings
from services.text.app import create_app as text_app
from services.text.settings import TextSettings

TIMEOUT_S = 8.0  # the gateway's downstream timeout: above the real face service's time on 2 busy cores


class Silent:
    """A TCP server on a free port that accepts connections, reads, and never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def url(self, scheme: bool = True) -> str:
        return f"{'http://' if scheme else ''}127.0.0.1:{self.port}"

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    yield server
    server.close()


@pytest.fixture(scope="module")
def face_and_fusion(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The real face and fusion services as processes (the same launcher as the e2e ``stack``)."""
    root = tmp_path_factory.mktemp("faults")
    with LocalStack.on_free_ports(("face", "fusion"), log_dir=root / "logs", ready_timeout_s=300) as running:
        yield running


@pytest.mark.slow
def test_hanging_modality_services_do_not_hold_the_job(
    face_and_fusion: LocalStack, silent: Silent, tmp_path: Path
) -> None:
    clip = cached("small")
    settings = GatewaySettings(
        data_dir=tmp_path, face_url=face_and_fusion.url("face"), fusion_url=face_and_fusion.url("fusion"),
        text_url=silent.url(), audio_url=silent.url(), timeout_s=TIMEOUT_S, transcribe_timeout_s=TIMEOUT_S, retries=0,
    )
    files: dict[str, Any] = {
        "video": ("clip.mp4", clip.video.read_bytes(), "video/mp4"),
        "subtitles": ("clip.srt", clip.srt.read_bytes(), "application/x-subrip"),
    }
    with TestClient(gateway_app(settings)) as client:
        started = time.monotonic()
        response = client.post("/v1/videos", files=files, params={"wait": "true"})
        elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert elapsed < 120  # each hanging call is cut at TIMEOUT_S; shots run 4 at once, then the circuit opens
    shots = response.json()["shots"]
    assert len(shots) == 4
    for shot in shots:
        assert shot["audio"] is None and shot["text"] is None
        assert "ReadTimeout" in shot["errors"]["audio"] or "circuit open" in shot["errors"]["audio"]
        assert shot["errors"]["text"].startswith("text failed")
        assert shot["fused"] is not None and "audio" not in shot["fused"]["modalities_used"]
    assert any(shot["face"] and shot["face"]["frames_with_face"] for shot in shots)


APPS = {
    "face": (face_app, FaceSettings, lambda c: c.post(
        "/v1/predict", files=[("files", ("a.png", skimage_image("astronaut.png").read_bytes(), "image/png"))]
    )),
    "text": (text_app, TextSettings, lambda c: c.post("/v1/predict", json={"texts": ["I am so happy today"]})),
}


@pytest.mark.slow
@pytest.mark.parametrize("triton", ["closed-port", "hanging"])
@pytest.mark.parametrize("service", list(APPS))
def test_triton_unavailable_is_a_clear_503_not_a_hang(service: str, triton: str, silent: Silent) -> None:
    create_app, settings_class, predict = APPS[service]
    url = silent.url(scheme=False) if triton == "hanging" else f"127.0.0.1:{free_port()}"
    settings = settings_class(triton_url=url, triton_timeout_s=1.0, triton_retries=1)
    with TestClient(create_app(settings)) as client:
        for _ in range(2):  # and again: the service stays up and answers the same way
            started = time.monotonic()
            response = predict(client)
            assert time.monotonic() - started < 10
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "backend_unavailable"
            message = response.json()["error"]["message"]
            assert "inference server" in message and response.headers["retry-after"]
            assert url not in message  # the server's address stays in the log
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and ready.headers["retry-after"]
        assert client.get("/health/live").status_code == 200
        metrics = client.get("/metrics").text
        assert f'emo_errors_total{{code="backend_unavailable",service="{service}"}} 2.0' in metrics

