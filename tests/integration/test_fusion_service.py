"""The fusion service over HTTP: the contract, absent modalities, bad input, health."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emocore.labels import LABELS
from services.fusion.app import create_app
from services.fusion.settings import FusionSettings


def dist(label: str, p: float) -> dict[str, float]:
    return {name: (p if name == label else (1 - p) / 6) for name in LABELS}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(FusionSettings())) as test_client:
        yield test_client


def test_fuse_follows_the_contract(client: TestClient) -> None:
    body = {
        "shots": [
            {"face": {"scores": dist("happiness", 0.8)}, "text": {"scores": dist("happiness", 0.6)}, "audio": None},
            {"face": None, "text": None, "audio": {"scores": dist("sadness", 0.5)}},
            {"face": {"scores": dist("anger", 0.9), "label": "anger", "frames": 4}, "text": {"scores": dist("happiness", 0.9)}},
            {"face": {"scores": None, "frames": 3, "frames_with_face": 0}, "text": None, "audio": None},
        ]
    }
    response = client.post("/v1/fuse", json=body)
    assert response.status_code == 200
    shots = response.json()["shots"]
    assert [s["label"] for s in shots] == ["happiness", "sadness", "happiness", None]
    assert [s["modalities_used"] for s in shots] == [["face", "text"], ["audio"], ["face", "text"], []]
    assert [s["needs_review"] for s in shots] == [False, False, True, False]
    assert set(shots[0]["scores"]) == set(LABELS)
    assert shots[3]["scores"] is None


@pytest.mark.parametrize(
    "shot",
    [
        {"face": {"scores": {"joy": 1.0}}},
        {"face": {"scores": {"anger": -1.0, "neutral": 2.0}}},
        {"text": {"scores": {"anger": 0.0}}},
    ],
    ids=["unknown-label", "negative", "all-zero"],
)
def test_bad_scores_get_422(client: TestClient, shot: dict[str, object]) -> None:
    response = client.post("/v1/fuse", json={"shots": [shot]})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_health_and_metrics(client: TestClient) -> None:
    assert client.get("/health/ready").json() == {"status": "ready"}
    client.post("/v1/fuse", json={"shots": []})
    assert 'emo_http_requests_total{method="POST",route="/v1/fuse"' in client.get("/metrics").text


def test_missing_learned_model_keeps_the_service_up_but_not_ready(tmp_path: Path) -> None:
    settings = FusionSettings(learned_model=tmp_path / "nope.joblib")
    with TestClient(create_app(settings)) as test_client:
        assert test_client.get("/health/live").status_code == 200
        assert test_client.get("/health/ready").status_code == 503
        response = test_client.post("/v1/fuse", json={"shots": []})
        assert response.status_code == 503
        assert "not found" in response.json()["error"]["message"]
