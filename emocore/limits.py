"""Request body limit enforced while the body arrives, not only from ``Content-Length``.

A chunked body declares no length, so the declared size cannot be trusted alone.
``BodyLimit`` is a pure ASGI middleware: a declared length over the limit is
answered 413 before a byte is read; otherwise it counts the bytes the app
receives, and at the first byte over the limit it answers 413 itself, tells the
app the client went away (so nothing more is read or buffered) and drops whatever
the app tries to send after that. Health, metrics and docs routes are exempt.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EXEMPT_PREFIXES = ("/health", "/metrics", "/docs", "/openapi")
REFUSED = "emocore.body_refused"  # set in the scope once the 413 is sent: the disconnect is ours


def error_body(status: int, code: str, message: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    return headers, body


class BodyLimit:
    """413 for any request body over ``max_bytes``, however it is framed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, on_refused: Callable[[], Any] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.on_refused = on_refused

    async def _refuse(self, send: Send, detail: str) -> None:
        if self.on_refused is not None:
            self.on_refused()
        headers, body = error_body(413, "payload_too_large", f"request body {detail} the {self.max_bytes}-byte limit")
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, f"of {int(declared)} bytes is over")
            return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    scope[REFUSED] = True
                    if not started:
                        await self._refuse(send, "is over")
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; the app's own answer is dropped
            started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except (ClientDisconnect, Exception):
            if not refused:  # after a refusal the client has its answer; the app's error is moot
                raise
