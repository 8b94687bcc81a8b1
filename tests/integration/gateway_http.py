"""The gateway under uvicorn in a thread (real HTTP on a free port), and what its tests talk to.

``running_gateway`` serves ``gateway.app.create_app(settings)`` until the block ends;
``Silent`` is a downstream that accepts connections and never answers (a hung
service: a job calling it stays *running*); ``Hooks`` is a real HTTP webhook
receiver; ``tiny_clip`` makes a real one-second MP4 with PyAV; ``multipart_head``, ``answer``
and ``send_until_answered`` talk raw HTTP, to see when the server answers an upload.
"""

from __future__ import annotations

import io
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import uvicorn

from devtools.serve import free_port
from gateway.app import create_app
from gateway.settings import GatewaySettings


def gateway_settings(root: Path, **overrides: Any) -> GatewaySettings:
    """Settings for a gateway in ``root`` whose downstream services are a closed port."""
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    base: dict[str, Any] = {
        "data_dir": root, "face_url": dead, "text_url": dead, "audio_url": dead, "fusion_url": dead,
        "retries": 0, "backoff_s": 0.01, "webhook_allow_list": ["127.0.0.1"], "wait_timeout_s": 120,
        # The tests' webhook receivers listen on loopback, on ephemeral ports: opted in here.
        "remote_allow_private": True, "remote_ports": list(range(1024, 65536)),
    }
    return GatewaySettings(**{**base, **overrides})


# Generous timeouts: the gateway shares two busy cores with the jobs it runs.
def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, timeout=60, **kwargs)


def delete(url: str) -> httpx.Response:
    return httpx.delete(url, timeout=60)


def post_to(url: str) -> httpx.Response:
    return httpx.post(url, timeout=60)


def post(url: str, video: bytes, *, headers: dict[str, str] | None = None, **data: str) -> httpx.Response:
    """Submit ``video`` with form fields ``data`` (``wait="true"`` goes to the query)."""
    params = {"wait": data.pop("wait")} if "wait" in data else None
    return httpx.post(
        f"{url}/v1/videos", files={"video": ("clip.mp4", video, "video/mp4")}, data=data, headers=headers,
        params=params, timeout=120,
    )


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` under uvicorn in a thread on a free loopback port; yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@contextmanager
def running_gateway(settings: GatewaySettings) -> Iterator[str]:
    """The gateway's base URL while it serves on 127.0.0.1."""
    with serving(create_app(settings)) as url:
        yield url


def tiny_clip(frames: int = 10, shade: int = 0) -> bytes:
    """A real MPEG-4 clip of ``frames`` 64x48 frames at 10 fps (``shade`` varies its content)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(frames):
            image = np.full((48, 64, 3), (index * 20 + shade) % 256, np.uint8)
            image[:24, :32] = 255 - image[0, 0]
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode(None))
    return buffer.getvalue()


class Silent:
    """A TCP server on a free port that accepts connections, reads, and never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


class Hooks:
    """A webhook receiver: an HTTP server on a free port keeping every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, job_id: str, status: str, timeout_s: float = 15) -> dict[str, Any]:
        """The body received for ``job_id`` with ``status``; AssertionError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for body in self.received:
                if body.get("id") == job_id and body.get("status") == status:
                    return body
            time.sleep(0.05)
        raise AssertionError(f"no {status} webhook for {job_id}: {self.received}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def multipart_head(url: str, length: int | None) -> bytes:
    """The HTTP head of an upload (boundary ``xyzzy``) and the preamble of its 'video' part."""
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (
        f"POST /v1/videos HTTP/1.1\r\nHost: {url.removeprefix('http://')}\r\n"
        f"Content-Type: multipart/form-data; boundary=xyzzy\r\n{framing}\r\n\r\n"
        '--xyzzy\r\nContent-Disposition: form-data; name="video"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()


def answer(sock: socket.socket, timeout_s: float = 30) -> bytes:
    """The whole HTTP response read from ``sock`` (head and a Content-Length body)."""
    sock.settimeout(timeout_s)
    response = b""
    while more := sock.recv(65536):
        response += more
        head, found, body = response.partition(b"\r\n\r\n")
        lengths = [int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")]
        if found and len(body) >= (lengths[0] if lengths else 0):
            break
    return response


def send_until_answered(sock: socket.socket, chunks: Iterator[bytes]) -> int:
    """Send ``chunks`` until the server answers (or stops reading); the bytes sent."""
    sent = 0
    for chunk in chunks:
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(chunk)
        except OSError:  # reset or broken pipe: the server gave up on the body
            break
        sent += len(chunk)
    return sent
