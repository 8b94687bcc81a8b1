"""The real modality services in process, reached over HTTP by one httpx client.

Each app runs with its lifespan (its real model loaded) behind ``httpx.ASGITransport``;
requests are routed by host name, so ``http://face`` is the face service. A host
without an app refuses the connection, like a service that is down. ``sent``, when
given, collects every request as it went out (what the gateway asked of a service).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI


class HostRouter(httpx.AsyncBaseTransport):
    def __init__(self, apps: dict[str, FastAPI], sent: list[httpx.Request] | None = None) -> None:
        self.transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}
        self.sent = sent

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.sent is not None:
            self.sent.append(request)
        transport = self.transports.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"connection refused: {request.url.host}", request=request)
        return await transport.handle_async_request(request)


@asynccontextmanager
async def serving(apps: dict[str, FastAPI], sent: list[httpx.Request] | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client reaching ``apps`` at ``http://NAME``, their models loaded (requests into ``sent``)."""
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        client = httpx.AsyncClient(transport=HostRouter(apps, sent), timeout=60)
        stack.push_async_callback(client.aclose)
        yield client
