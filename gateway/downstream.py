"""Calls to one downstream service: timeouts, retries with backoff, circuit breaker, metrics.

Retried: connection errors, timeouts, 5xx and 429 (honouring a short Retry-After),
up to ``retries`` extra attempts with exponential backoff and jitter. Not retried:
other 4xx (the request itself is wrong; the service is healthy). Every call sends
``X-Retry-Budget: 0``: these retries are the request's whole budget, so a service
does not retry Triton on top of them (emocore.retry). Every failed
attempt counts against the service's circuit breaker; an open breaker refuses the
call at once. Failures surface as DownstreamError, which the pipeline turns into a
``null`` modality with a reason.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx

from emocore.errors import ServiceError
from emocore.retry import HEADER as RETRY_BUDGET
from gateway.breaker import CircuitBreaker
from gateway.metrics import GatewayMetrics

MAX_RETRY_AFTER_S = 5.0


class DownstreamError(ServiceError):
    """A downstream service could not give an answer."""

    code = "downstream_error"

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class Downstream:
    def __init__(
        self,
        service: str,
        base_url: str,
        http: httpx.AsyncClient,
        metrics: GatewayMetrics,
        *,
        retries: int = 2,
        backoff_s: float = 0.2,
        breaker_failures: int = 5,
        breaker_reset_s: float = 10.0,
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.metrics = metrics
        self.retries = max(0, retries)
        self.last_failure = "none recorded"
        self.backoff_s = backoff_s
        self.breaker = CircuitBreaker(
            service,
            failure_threshold=breaker_failures,
            reset_timeout_s=breaker_reset_s,
            on_change=lambda name, state: metrics.circuit_state.labels(name).set(int(state)),
        )

    def _count(self, outcome: str) -> None:
        self.metrics.downstream_requests.labels(self.service, outcome).inc()

    async def post(self, path: str, *, timeout: float | None = None, **kwargs: Any) -> Any:
        """POST and return the decoded JSON body, or raise DownstreamError."""
        url = f"{self.base_url}{path}"
        # The gateway spends the request's retry budget itself: the service may not retry.
        kwargs["headers"] = {**kwargs.get("headers", {}), RETRY_BUDGET: "0"}
        delay = self.backoff_s
        reason = self.last_failure
        for attempt in range(self.retries + 1):
            if not self.breaker.allow():
                self._count("circuit_open")
                raise DownstreamError(
                    self.service,
                    f"circuit open after repeated failures (last: {reason}); next try in "
                    f"{self.breaker.retry_in():.0f} s",
                )
            wait = delay * (0.5 + random.random())
            in_flight = self.metrics.downstream_in_flight.labels(self.service)
            in_flight.inc()
            try:
                response = await self.http.post(url, timeout=timeout or httpx.USE_CLIENT_DEFAULT, **kwargs)
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                self.last_failure = reason
                self.breaker.record_failure()
            except BaseException:
                self.breaker.release()
                raise
            else:
                if response.status_code < 400:
                    self.breaker.record_success()
                    self._count("ok")
                    return response.json()
                reason = f"HTTP {response.status_code}: {_message(response)}"
                if response.status_code < 500 and response.status_code != 429:
                    self.breaker.record_success()  # alive; the request was refused
                    self._count("error")
                    raise DownstreamError(self.service, reason)
                if response.status_code == 429:
                    self.breaker.release()
                    wait = min(MAX_RETRY_AFTER_S, _retry_after(response) or wait)
                else:
                    self.last_failure = reason
                    self.breaker.record_failure()
            finally:
                in_flight.dec()
            if attempt < self.retries:
                self._count("retry")
                await asyncio.sleep(wait)
                delay *= 2
        self._count("error")
        raise DownstreamError(self.service, f"failed after {self.retries + 1} attempts: {reason}")


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('code')}: {error.get('message')}"
    except Exception:
        return response.text[:200] or response.reason_phrase


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.replace(".", "", 1).isdigit() else None
