"""Downstream calls: retries with backoff on 5xx/429/connection errors, none on 4xx, the breaker."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.breaker import State
from gateway.downstream import Downstream, DownstreamError
from gateway.metrics import GatewayMetrics


class Script:
    """A service answering with the scripted statuses in turn (then 200)."""

    def __init__(self, *statuses: int, retry_after: str | None = None) -> None:
        self.statuses = list(statuses)
        self.retry_after = retry_after
        self.calls = 0

    async def endpoint(self, request: Request) -> JSONResponse:
        self.calls += 1
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            return JSONResponse({"ok": True, "echo": await request.json()})
        headers = {"Retry-After": self.retry_after} if self.retry_after else None
        return JSONResponse({"error": {"code": "x", "message": f"status {status}"}}, status, headers=headers)


def downstream(script: Script, metrics: GatewayMetrics, **options: Any) -> Downstream:
    app = Starlette(routes=[Route("/v1/predict", script.endpoint, methods=["POST"])])
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://face")
    return Downstream("face", "http://face", http, metrics, backoff_s=0.001, **options)


def outcome(metrics: GatewayMetrics, name: str) -> float:
    return metrics.downstream_requests.labels("face", name)._value.get()


def test_5xx_and_429_are_retried_then_succeed() -> None:
    metrics = GatewayMetrics()
    script = Script(503, 500, 429, retry_after="0")
    client = downstream(script, metrics, retries=3)
    assert asyncio.run(client.post("/v1/predict", json={"a": 1})) == {"ok": True, "echo": {"a": 1}}
    assert script.calls == 4
    assert (outcome(metrics, "retry"), outcome(metrics, "ok"), outcome(metrics, "error")) == (3, 1, 0)


def test_gives_up_after_the_retries_with_the_last_reason() -> None:
    metrics = GatewayMetrics()
    script = Script(502, 502, 502, 502)
    with pytest.raises(DownstreamError, match="failed after 3 attempts: HTTP 502"):
        asyncio.run(downstream(script, metrics, retries=2).post("/v1/predict", json={}))
    assert script.calls == 3


def test_4xx_is_not_retried_and_does_not_trip_the_breaker() -> None:
    metrics = GatewayMetrics()
    script = Script(422, 422, 422)
    client = downstream(script, metrics, retries=3, breaker_failures=1)
    for _ in range(3):
        with pytest.raises(DownstreamError, match="HTTP 422: x: status 422"):
            asyncio.run(client.post("/v1/predict", json={}))
    assert script.calls == 3
    assert client.breaker.state is State.CLOSED


def test_connection_errors_open_the_breaker_and_later_calls_fail_fast() -> None:
    metrics = GatewayMetrics()
    http = httpx.AsyncClient()
    client = Downstream(
        "face", "http://127.0.0.1:9", http, metrics, retries=1, backoff_s=0.001,
        breaker_failures=2, breaker_reset_s=60,
    )
    with pytest.raises(DownstreamError, match="ConnectError"):
        asyncio.run(client.post("/v1/predict", json={}))
    assert client.breaker.state is State.OPEN
    assert metrics.circuit_state.labels("face")._value.get() == 1
    with pytest.raises(DownstreamError, match="circuit open"):
        asyncio.run(client.post("/v1/predict", json={}))
    assert outcome(metrics, "circuit_open") == 1
