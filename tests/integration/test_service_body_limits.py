"""Body limits of the model services hold for chunked bodies too, over real HTTP.

The face and text services run as uvicorn processes (embedded models). A client
streams a 100 MB body with ``Transfer-Encoding: chunked`` (no ``Content-Length`` to
check up front) and stops as soon as the server answers: the answer must be 413 and
come once the limit is passed, long before the whole body is sent, and the service
must still serve afterwards.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.samples import skimage_image
from devtools.serve import LocalStack
from services.face.settings import FaceSettings
from services.text.settings import TextSettings

BODY_BYTES = 100 * 1024 * 1024
CHUNK = 256 * 1024
LIMITS = {"face": FaceSettings().max_request_bytes, "text": TextSettings().max_request_bytes}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    logs: Path = tmp_path_factory.mktemp("services")
    with LocalStack.on_free_ports(("face", "text"), log_dir=logs) as running:
        yield running


def body(service: str) -> Iterator[bytes]:
    """100 MB of a well-formed request: one multipart image part, or one JSON text."""
    if service == "face":
        head = (b'--xyzzy\r\nContent-Disposition: form-data; name="files"; filename="big.png"\r\n'
                b"Content-Type: image/png\r\n\r\n")
        tail = b"\r\n--xyzzy--\r\n"
    else:
        head, tail = b'{"texts": ["', b'"]}'
    yield head
    filler = b"a" * CHUNK
    for _ in range((BODY_BYTES - len(head) - len(tail)) // CHUNK):
        yield filler
    yield tail


def send_chunked(url: str, path: str, content_type: str, blocks: Iterator[bytes]) -> tuple[bytes, int]:
    """Stream ``blocks`` chunked until the server answers; (its answer, body bytes sent)."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        for block in blocks:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered
            try:
                sock.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n")
            except OSError:  # the server closed the connection
                break
            sent += len(block)
        else:
            sock.sendall(b"0\r\n\r\n")
        response = b""
        while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
            more = sock.recv(65536)
            if not more:
                break
            response += more
    return response, sent


@pytest.mark.slow
@pytest.mark.parametrize(
    ("service", "content_type"),
    [("face", "multipart/form-data; boundary=xyzzy"), ("text", "application/json")],
)
def test_chunked_100mb_body_is_413_without_being_read_whole(stack: LocalStack, service: str, content_type: str) -> None:
    limit = LIMITS[service]
    response, sent = send_chunked(stack.url(service), "/v1/predict", content_type, body(service))
    assert response.startswith(b"HTTP/1.1 413"), response[:300]
    assert b'"code":"payload_too_large"' in response.replace(b" ", b"")
    assert limit <= sent < limit + 16 * 1024 * 1024 < BODY_BYTES  # stopped at the limit, not at 100 MB
    metrics = httpx.get(f"{stack.url(service)}/metrics").text
    assert f'emo_errors_total{{code="payload_too_large",service="{service}"}}' in metrics
    # Still serving after the refusal.
    if service == "face":
        image = skimage_image("astronaut.png").read_bytes()
        ok = httpx.post(f"{stack.url(service)}/v1/predict", files=[("files", ("a.png", image, "image/png"))], timeout=60)
    else:
        ok = httpx.post(f"{stack.url(service)}/v1/predict", json={"texts": ["What a lovely day!"]}, timeout=60)
    assert ok.status_code == 200, ok.text
