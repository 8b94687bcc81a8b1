"""Typed calls to the four services over HTTP, per the contracts in ARCHITECTURE.md."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from gateway.downstream import Downstream, DownstreamError
from gateway.metrics import GatewayMetrics
from gateway.settings import GatewaySettings


class ServiceClients:
    """One shared ``httpx.AsyncClient``; one Downstream (retries, breaker) per service."""

    def __init__(self, settings: GatewaySettings, metrics: GatewayMetrics, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )
        self.face = self._downstream("face", settings.face_url)
        self.text = self._downstream("text", settings.text_url)
        self.audio = self._downstream("audio", settings.audio_url)
        self.fusion = self._downstream("fusion", settings.fusion_url)

    def _downstream(self, service: str, url: str) -> Downstream:
        s = self.settings
        return Downstream(
            service,
            url,
            self.http,
            self.metrics,
            retries=s.retries,
            backoff_s=s.backoff_s,
            breaker_failures=s.breaker_failures,
            breaker_reset_s=s.breaker_reset_s,
        )

    async def close(self) -> None:
        await self.http.aclose()

    def _timed(self, stage: str, started: float) -> None:
        self.metrics.stage_duration.labels(stage).observe(time.perf_counter() - started)

    async def faces(self, jpegs: Sequence[bytes]) -> list[list[dict[str, Any]]]:
        """Faces of each JPEG frame, in order."""
        started = time.perf_counter()
        files = [("files", (f"frame{i:04d}.jpg", data, "image/jpeg")) for i, data in enumerate(jpegs)]
        body = await self.face.post("/v1/predict", files=files)
        self._timed("face", started)
        results = body.get("results")
        if not isinstance(results, list) or len(results) != len(jpegs):
            raise DownstreamError("face", f"expected {len(jpegs)} results, got {body!r:.200}")
        return [r["faces"] for r in results]

    async def texts(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> list[dict[str, Any]]:
        """Label and scores of each text, in order; ``contexts[i]``: the lines before ``texts[i]``,
        oldest first (sent only when given)."""
        started = time.perf_counter()
        request: dict[str, Any] = {"texts": list(texts)}
        if contexts is not None:
            request["contexts"] = [list(context) for context in contexts]
        body = await self.text.post("/v1/predict", json=request)
        self._timed("text", started)
        predictions = body.get("predictions")
        if not isinstance(predictions, list) or len(predictions) != len(texts):
            raise DownstreamError("text", f"expected {len(texts)} predictions, got {body!r:.200}")
        return predictions

    async def audio_emotion(self, wav: bytes) -> dict[str, Any]:
        started = time.perf_counter()
        body = await self.audio.post("/v1/predict", content=wav, headers={"Content-Type": "audio/wav"})
        self._timed("audio", started)
        return body

    async def transcribe(self, wav: bytes, *, translate: bool = False, language: str | None = None) -> dict[str, Any]:
        """The audio service's transcript; with ``translate`` also its English ``translation``;
        ``language`` (ISO 639-1) when known, else the service detects it."""
        started = time.perf_counter()
        query = "&".join(([f"language={language}"] if language else []) + (["translate=true"] if translate else []))
        body = await self.audio.post(
            f"/v1/transcribe?{query}" if query else "/v1/transcribe",
            content=wav,
            headers={"Content-Type": "audio/wav"},
            timeout=self.settings.transcribe_timeout_s,
        )
        self._timed("text", started)
        return body

    async def fuse(self, shots: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        started = time.perf_counter()
        body = await self.fusion.post("/v1/fuse", json={"shots": list(shots)})
        self._timed("fusion", started)
        fused = body.get("shots")
        if not isinstance(fused, list) or len(fused) != len(shots):
            raise DownstreamError("fusion", f"expected {len(shots)} shots, got {body!r:.200}")
        return fused
