"""The FastAPI scaffolding every service shares: the app, error mapping, metrics, health routes.

``build_app`` makes a service from what it serves (an ``emocore.model.ServedModel``),
its settings, its metrics and its routes: the lifespan loads and closes the model,
``/health/ready`` asks it, dependencies reach it as ``request.app.state.served``.
Domain errors are mapped to HTTP here and nowhere else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from emocore.errors import (
    BackendUnavailable,
    Conflict,
    InsufficientStorage,
    InvalidInput,
    ModelNotReady,
    NotFound,
    Overloaded,
    PayloadTooLarge,
    ServiceError,
    Unauthorized,
    UnsupportedMediaType,
)
from emocore.limits import REFUSED, BodyLimit
from emocore.metrics import ServiceMetrics
from emocore.model import ServedModel
from emocore.retry import RetryBudget
from emocore.settings import ServiceSettings

log = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[ServiceError], int]] = [
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (InvalidInput, 422),
    (Unauthorized, 401),
    (NotFound, 404),
    (Conflict, 409),
    (InsufficientStorage, 507),
    (Overloaded, 429),
    (ModelNotReady, 503),
    (BackendUnavailable, 503),
]

ReadyCheck = Callable[[], Awaitable[bool]]
CallNext = Callable[[Request], Awaitable[Response]]


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The contract's error body: ``{"error": {"code", "message"}}``."""
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def status_for(error: ServiceError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


@dataclass(frozen=True)
class Route:
    """One API route: ``options`` are FastAPI's (response_model, tags, status_code...)."""

    method: str
    path: str
    endpoint: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)


def build_app(
    title: str,
    served: ServedModel,
    settings: ServiceSettings,
    metrics: ServiceMetrics,
    routes: Sequence[Route],
) -> FastAPI:
    """A service app: lifespan, error mapping, limits, health and metrics, then ``routes``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await served.load()
        try:
            yield
        finally:
            await served.close()

    app = FastAPI(title=title, version="1.0", lifespan=lifespan)
    app.state.served = served
    app.state.settings = settings
    app.state.metrics = metrics
    install(app, metrics, served.ready, settings)
    for route in routes:
        app.add_api_route(route.path, route.endpoint, methods=[route.method], **route.options)
    return app


def install(app: FastAPI, metrics: ServiceMetrics, ready: ReadyCheck, settings: ServiceSettings) -> None:
    """Add error handlers, limits, the metrics middleware and the health/metrics routes.

    Limits: a request body over ``settings.max_request_bytes`` gets 413, from its
    ``Content-Length`` before it is read or, chunked, as soon as the count passes the
    limit (emocore.limits); a caller's ``X-Retry-Budget`` caps the backend's retries
    (emocore.retry); beyond ``settings.max_concurrent_requests`` work requests in
    flight, new ones get 429 with ``Retry-After`` (health and metrics are exempt).
    """
    busy = 0
    app.add_middleware(RetryBudget)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_request_bytes,
        on_refused=lambda: metrics.errors.labels(metrics.service, "payload_too_large").inc(),
    )

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        status = status_for(exc)
        if not request.scope.get(REFUSED):  # else BodyLimit has sent and counted the 413; this answer is dropped
            metrics.errors.labels(metrics.service, exc.code).inc()
        log.warning("%s %s -> %d %s: %s", request.method, request.url.path, status, exc.code, exc.message)
        headers = None
        if isinstance(exc, Overloaded | InsufficientStorage):
            headers = {"Retry-After": str(exc.retry_after_s)}
        elif isinstance(exc, Unauthorized):
            headers = {"WWW-Authenticate": "X-API-Key"}
        elif status == 503:
            headers = {"Retry-After": "5"}
        return error_response(status, exc.code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        metrics.errors.labels(metrics.service, "invalid_request").inc()
        details = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg')}" for err in exc.errors()
        )
        return error_response(422, "invalid_request", details or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        metrics.errors.labels(metrics.service, "internal_error").inc()
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", f"{type(exc).__name__}: internal error")

    @app.middleware("http")
    async def _limits(request: Request, call_next: CallNext) -> Response:
        nonlocal busy
        if request.url.path.startswith(("/health", "/metrics", "/docs", "/openapi")):
            return await call_next(request)
        if busy >= settings.max_concurrent_requests:
            metrics.errors.labels(metrics.service, "overloaded").inc()
            return error_response(
                429,
                "overloaded",
                f"{busy} requests in flight (limit {settings.max_concurrent_requests}); retry later",
                {"Retry-After": "1"},
            )
        busy += 1
        try:
            return await call_next(request)
        finally:
            busy -= 1

    @app.middleware("http")
    async def _observe(request: Request, call_next: CallNext) -> Response:
        start = time.perf_counter()
        metrics.in_flight.labels(metrics.service).inc()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            metrics.in_flight.labels(metrics.service).dec()
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            metrics.requests.labels(metrics.service, path, request.method, str(status)).inc()
            metrics.request_latency.labels(metrics.service, path, request.method).observe(
                time.perf_counter() - start
            )

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", tags=["health"])
    async def ready_route() -> Response:
        if await ready():
            return JSONResponse({"status": "ready"})
        return error_response(503, "not_ready", "model not ready", {"Retry-After": "5"})

    @app.get("/metrics", tags=["health"])
    async def metrics_route() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
