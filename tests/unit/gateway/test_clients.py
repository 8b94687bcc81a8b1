"""gateway.clients: typed calls to the real face, text and fusion services, run in process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import numpy as np
import pytest
from PIL import Image

from devtools.media import encode
from devtools.samples import skimage_image
from emocore.labels import LABELS
from gateway.clients import ServiceClients
from gateway.downstream import DownstreamError
from gateway.metrics import GatewayMetrics
from gateway.settings import GatewaySettings
from services.face.app import create_app as face_app
from services.fusion.app import create_app as fusion_app
from services.text.app import create_app as text_app
from tests.unit.gateway.inprocess import serving

T = TypeVar("T")
SETTINGS = GatewaySettings(face_url="http://face", text_url="http://text", audio_url="http://audio",
                           fusion_url="http://fusion", retries=1, backoff_s=0.01)


def with_clients(call: Callable[[ServiceClients], Awaitable[T]]) -> tuple[T, GatewayMetrics]:
    """``call`` with clients of the real services (audio is down)."""
    metrics = GatewayMetrics()

    async def run() -> T:
        apps = {"face": face_app(), "text": text_app(), "fusion": fusion_app()}
        async with serving(apps) as http:
            return await call(ServiceClients(SETTINGS, metrics, http))

    return asyncio.run(run()), metrics


def sample(metrics: GatewayMetrics, name: str, labels: dict[str, str]) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_faces_of_each_frame_in_order() -> None:
    astronaut = encode(np.asarray(Image.open(skimage_image("astronaut.png")).convert("RGB")))
    blank = encode(np.zeros((120, 160, 3), np.uint8))
    faces, metrics = with_clients(lambda c: c.faces([astronaut, blank, astronaut]))
    assert [len(f) for f in faces] == [1, 0, 1]
    assert faces[0][0]["primary"] and set(faces[0][0]["scores"]) == set(LABELS)
    assert faces[0] == faces[2]
    assert sample(metrics, "emo_gateway_stage_duration_seconds_count", {"stage": "face"}) == 1


def test_texts_in_order_and_the_same_as_one_by_one() -> None:
    lines = ["I can't believe you did this to me!", "What a wonderful surprise, thank you!", "OK."]

    async def both(c: ServiceClients) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return await c.texts(lines), [(await c.texts([line]))[0] for line in lines]

    (batch, single), _ = with_clients(both)
    assert [p["label"] for p in batch] == [p["label"] for p in single]
    for got, alone in zip(batch, single, strict=True):
        assert got["scores"] == pytest.approx(alone["scores"], abs=1e-4)
        assert sum(got["scores"].values()) == pytest.approx(1.0, abs=1e-3)


def test_fusion_of_each_shot() -> None:
    happy = {label: (0.94 if label == "happiness" else 0.01) for label in LABELS}
    shots = [{"face": {"scores": happy}, "text": {"scores": happy}, "audio": None},
             {"face": None, "text": None, "audio": None}]
    fused, _ = with_clients(lambda c: c.fuse(shots))
    assert fused[0]["label"] == "happiness" and sorted(fused[0]["modalities_used"]) == ["face", "text"]
    assert fused[1]["modalities_used"] == []


def test_a_refused_request_is_not_retried_and_names_the_reason() -> None:
    with pytest.raises(DownstreamError, match=r"text: HTTP 422: ") as refused:
        with_clients(lambda c: c.texts(["fine", "   "]))
    assert refused.value.service == "text"


def test_a_service_that_is_down_fails_after_the_retries() -> None:
    metrics = GatewayMetrics()

    async def run() -> None:
        async with serving({}) as http:
            await ServiceClients(SETTINGS, metrics, http).audio_emotion(b"RIFF")

    with pytest.raises(DownstreamError, match=r"audio: failed after 2 attempts: ConnectError"):
        asyncio.run(run())
    assert sample(metrics, "emo_gateway_downstream_requests_total", {"service": "audio", "outcome": "retry"}) == 1
    assert sample(metrics, "emo_gateway_downstream_requests_total", {"service": "audio", "outcome": "error"}) == 1
