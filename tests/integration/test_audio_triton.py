"""The audio service in Triton mode (real local Triton server) gives the embedded answers."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from devtools.audio import ANGRY_CLIP, SAD_CLIP, clip, encode_audio, synth_music
from devtools.triton import TritonProcess
from services.audio.app import create_app
from services.audio.settings import AudioSettings

pytestmark = [pytest.mark.triton, pytest.mark.slow]


def predict_all(settings: AudioSettings, uploads: list[tuple[bytes, str]]) -> list[dict]:
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/ready").status_code == 200
        out = []
        for data, content_type in uploads:
            response = client.post("/v1/predict", content=data, headers={"Content-Type": content_type})
            assert response.status_code == 200
            out.append(response.json())
        return out


def test_triton_backend_matches_embedded_on_real_speech(triton_server: TritonProcess) -> None:
    long_speech = np.concatenate([clip(ANGRY_CLIP), clip(SAD_CLIP), clip(ANGRY_CLIP)])  # 3 windows
    uploads = [
        (ANGRY_CLIP.read_bytes(), "audio/flac"),
        (SAD_CLIP.read_bytes(), "audio/flac"),
        (encode_audio(long_speech, "m4a"), "audio/mp4"),
        (encode_audio(synth_music(5.0)), "audio/wav"),
    ]
    embedded = predict_all(AudioSettings(), uploads)
    served = predict_all(AudioSettings(triton_url=triton_server.http_url), uploads)
    assert [r["speech"] for r in embedded] == [True, True, True, False]
    for ours, theirs in zip(embedded, served, strict=True):
        assert ours["speech"] == theirs["speech"] and ours["label"] == theirs["label"]
        for label, p in (ours["scores"] or {}).items():
            assert theirs["scores"][label] == pytest.approx(p, abs=1e-4)


def test_ready_reflects_the_triton_model(triton_server: TritonProcess) -> None:
    settings = AudioSettings(triton_url=triton_server.http_url, model_name="no_such_model")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_ready"
