"""The gateway is ready when what a job needs is: every modality service (and Triton).

Each service's own ``/health/ready`` already reflects its models and, in Triton
mode, Triton; the gateway asks them all (and Triton itself when it detects shots
there) in parallel, with a short timeout. The answer is cached for
``ready_cache_s`` and concurrent probes share one round of checks, so however often
the kubelet or a load balancer asks, each downstream sees at most one check per
period. What is not ready is logged when the answer changes.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)


class DownstreamReadiness:
    def __init__(self, http: httpx.AsyncClient, urls: dict[str, str], *, cache_s: float, timeout_s: float) -> None:
        self.http = http
        self.urls = urls  # name -> readiness URL
        self.cache_s = cache_s
        self.timeout_s = timeout_s
        self.not_ready: list[str] = list(urls)
        self.checked_at = float("-inf")
        self.lock = asyncio.Lock()

    async def _one(self, name: str, url: str) -> bool:
        try:
            response = await self.http.get(url, timeout=self.timeout_s)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def ready(self) -> bool:
        """Whether every downstream answered ready (cached for ``cache_s``)."""
        async with self.lock:
            if time.monotonic() - self.checked_at >= self.cache_s:
                names = list(self.urls)
                answers = await asyncio.gather(*(self._one(n, self.urls[n]) for n in names))
                not_ready = [n for n, ok in zip(names, answers, strict=True) if not ok]
                if not_ready != self.not_ready:
                    log.warning("downstream not ready: %s", ", ".join(not_ready) or "none")
                self.not_ready = not_ready
                self.checked_at = time.monotonic()
            return not self.not_ready


def for_settings(settings: GatewaySettings, http: httpx.AsyncClient) -> DownstreamReadiness:
    """Readiness of what a job needs: the four services, and Triton when shots are detected there."""
    urls = {
        name: f"{url.rstrip('/')}/health/ready"
        for name, url in (("face", settings.face_url), ("text", settings.text_url),
                          ("audio", settings.audio_url), ("fusion", settings.fusion_url))
    }
    if settings.triton_url:
        base = settings.triton_url if "://" in settings.triton_url else f"http://{settings.triton_url}"
        urls["triton"] = f"{base.rstrip('/')}/v2/health/ready"
    return DownstreamReadiness(http, urls, cache_s=settings.ready_cache_s, timeout_s=settings.ready_timeout_s)
