"""Outbound HTTP to user-given URLs: video download, and the allow-lists of both it and webhooks.

Both are off unless an allow-list of host names is configured
(``EMO_GATEWAY_URL_ALLOW_LIST``, ``EMO_GATEWAY_WEBHOOK_ALLOW_LIST``); a URL is
accepted only with an http(s) scheme and a host on its list (exact match), a port
and resolved addresses the address policy allows (gateway.outbound: no loopback,
private or link-local address unless configured; checked again at connect time),
and redirects are not followed, so a listed host cannot bounce us elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

from emocore.errors import InvalidInput, PayloadTooLarge
from gateway.outbound import AddressPolicy, check_addresses, guarded_client


def check_allowed(url: str, allow_list: list[str], what: str) -> str:
    """Return ``url`` if its scheme and host may be used, else raise InvalidInput saying why."""
    if not allow_list:
        raise InvalidInput(f"{what} is disabled on this gateway (no allow-list configured)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{what}: {url[:200]!r} is not an http(s) URL")
    if parts.hostname.lower() not in {h.lower() for h in allow_list}:
        raise InvalidInput(f"{what}: host {parts.hostname!r} is not on the allow-list")
    return url


async def check_url(url: str, allow_list: list[str], policy: AddressPolicy, what: str) -> str:
    """``check_allowed``, then the port and every address the host resolves to."""
    check_allowed(url, allow_list, what)
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise InvalidInput(f"{what}: {url[:200]!r} has an invalid port") from exc
    await check_addresses(parts.hostname or "", port, policy, what)
    return url


async def download(
    url: str, target: Path, *, max_bytes: int, policy: AddressPolicy, timeout_s: float = 60.0
) -> int:
    """Stream ``url`` to ``target`` (at most ``max_bytes``); the byte count."""
    size = 0
    try:
        async with (
            guarded_client(policy, timeout=timeout_s) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise InvalidInput(f"video URL answered HTTP {response.status_code}")
            with target.open("wb") as handle:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(f"video at URL is over the {max_bytes}-byte limit")
                    handle.write(chunk)
    except httpx.HTTPError as exc:
        raise InvalidInput(f"cannot download the video URL: {type(exc).__name__}: {exc}") from exc
    return size
