"""One retry budget per request, shared by every layer it crosses.

A gateway call that is retried 3 times, each reaching a service that retries Triton
4 times, would make 12 inference calls for one request. Instead the caller states
how many retries the callee may still spend, in the ``X-Retry-Budget`` header; the
gateway retries itself and sends 0, so each of its attempts is one Triton call.
``RetryBudget`` (ASGI middleware) reads the header into a context variable for the
request; ``retries_allowed`` is what an inference backend may retry within it (a
request without the header, from another caller, gets the service's own setting).
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

HEADER = "X-Retry-Budget"
_budget: ContextVar[int | None] = ContextVar("retry_budget", default=None)


def retries_allowed(configured: int) -> int:
    """The retries a backend may make now: its setting, capped by the request's budget."""
    budget = _budget.get()
    return configured if budget is None else max(0, min(configured, budget))


class RetryBudget:
    """Sets the request's retry budget from its ``X-Retry-Budget`` header, if any."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = dict(scope.get("headers") or []).get(HEADER.lower().encode(), b"")
        token = _budget.set(int(value) if value.isdigit() else None)
        try:
            await self.app(scope, receive, send)
        finally:
            _budget.reset(token)
