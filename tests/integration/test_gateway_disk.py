"""Disk protection over real HTTP: a full queue and a low disk refuse uploads before storing them.

The gateway runs under uvicorn in a thread on this machine's real file system.
Uploads are sent over a raw socket so the test sees *when* the answer comes: a
refusal that arrives while most of a declared 1 GiB body was never sent proves the
body was not read. The free-space reserve is set relative to the disk's free space
measured just before each upload.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.settings import GatewaySettings
from tests.integration.gateway_http import (
    Silent,
    answer,
    gateway_settings,
    multipart_head,
    running_gateway,
    send_until_answered,
    tiny_clip,
)

GIB = 1024**3
MIB = 1024**2


def settings_for(root: Path, **overrides: Any) -> GatewaySettings:
    return gateway_settings(root, **{"max_request_bytes": 4 * GIB, **overrides})


def job_folders(root: Path) -> list[Path]:
    return list((root / "jobs").glob("*")) if (root / "jobs").exists() else []


def refused_before_reading(url: str) -> bytes:
    """POST a declared 1 GiB upload, send only its first bytes, and return the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(multipart_head(url, GIB) + b"\0" * 1024)
        return answer(sock)


def header(response: bytes, name: bytes) -> bytes:
    for line in response.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    raise AssertionError(f"no {name!r} header in {response[:300]!r}")


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    yield server
    server.close()


@pytest.mark.slow
def test_a_full_queue_refuses_an_upload_before_reading_its_body(tmp_path: Path, silent: Silent) -> None:
    clip = tiny_clip()
    with running_gateway(settings_for(tmp_path, face_url=silent.url, timeout_s=120, queue_size=1)) as url:
        running = httpx.post(f"{url}/v1/videos", files={"video": ("a.mp4", clip)}, timeout=60).json()["id"]
        deadline = time.monotonic() + 30
        while httpx.get(f"{url}/v1/videos/{running}", timeout=60).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        waiting = httpx.post(f"{url}/v1/videos", files={"video": ("b.mp4", clip)}, timeout=60)
        assert waiting.status_code == 202  # one place in the queue: taken

        response = refused_before_reading(url)
        assert response.startswith(b"HTTP/1.1 429"), response[:300]
        assert int(header(response, b"retry-after")) > 0 and b'"overloaded"' in response
        assert {f.name for f in job_folders(tmp_path)} == {running, waiting.json()["id"]}  # nothing stored
        for job_id in (running, waiting.json()["id"]):
            assert httpx.delete(f"{url}/v1/videos/{job_id}", timeout=60).status_code == 204


def test_an_upload_in_progress_holds_a_queue_place(tmp_path: Path) -> None:
    with running_gateway(settings_for(tmp_path, queue_size=1)) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as slow:
            slow.sendall(multipart_head(url, GIB) + b"\0" * 64 * 1024)  # a 1 GiB upload under way
            deadline = time.monotonic() + 10
            while not job_folders(tmp_path):
                assert time.monotonic() < deadline, "the upload never started"
                time.sleep(0.02)
            second = httpx.post(f"{url}/v1/videos", files={"video": ("b.mp4", tiny_clip())}, timeout=60)
            assert second.status_code == 429 and second.json()["error"]["code"] == "overloaded"
        deadline = time.monotonic() + 10  # the client went away: its place and folder are freed
        while job_folders(tmp_path):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        third = httpx.post(f"{url}/v1/videos", files={"video": ("c.mp4", tiny_clip())}, timeout=60)
        assert third.status_code == 202, third.text


@pytest.mark.parametrize("margin", [10 * GIB, -100 * MIB], ids=["disk-below-reserve", "declared-size-too-big"])
def test_below_the_free_space_reserve_uploads_get_507_before_reading(tmp_path: Path, margin: int) -> None:
    reserve = shutil.disk_usage(tmp_path).free + margin  # -100 MiB: fine alone, not with 1 GiB more
    with running_gateway(settings_for(tmp_path, min_free_bytes=reserve)) as url:
        response = refused_before_reading(url)
        assert response.startswith(b"HTTP/1.1 507"), response[:300]
        assert int(header(response, b"retry-after")) > 0
        assert b'"insufficient_storage"' in response and b"kept in reserve" in response
        assert job_folders(tmp_path) == []
        assert httpx.get(f"{url}/health/live", timeout=30).status_code == 200


def test_an_upload_that_would_eat_the_reserve_is_cut_off_while_streaming(tmp_path: Path) -> None:
    reserve = shutil.disk_usage(tmp_path).free - 24 * MIB  # 24 MiB may be written, no more
    block = b"\1" * MIB

    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to check beforehand
        for _ in range(400):
            yield f"{len(block):x}\r\n".encode() + block + b"\r\n"

    with running_gateway(settings_for(tmp_path, min_free_bytes=reserve)) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=60) as sock:
            head = multipart_head(url, None)
            first, preamble = head.split(b"\r\n\r\n", 1)
            sock.sendall(first + b"\r\n\r\n" + f"{len(preamble):x}\r\n".encode() + preamble + b"\r\n")
            sent = send_until_answered(sock, chunks())
            response = answer(sock)
        assert response.startswith(b"HTTP/1.1 507"), response[:300]
        assert b'"insufficient_storage"' in response and int(header(response, b"retry-after")) > 0
        assert sent < 200 * MIB  # stopped near the reserve, not at the end of 400 MiB
        assert job_folders(tmp_path) == []  # what had been written is removed
        assert httpx.get(f"{url}/health/live", timeout=30).status_code == 200
