"""Where the gateway may connect on a user's behalf (video URLs, webhooks): the address policy.

An allow-listed host name is not enough: its DNS answer could be 127.0.0.1, a pod
IP or the cloud metadata service (169.254.169.254). So every address a host
resolves to must be public (globally routable) unless
``EMO_GATEWAY_REMOTE_ALLOW_PRIVATE`` says otherwise, and the port must be on
``EMO_GATEWAY_REMOTE_PORTS``. The check runs twice: when the URL is submitted (a
clear 422) and again when the connection is made, on the addresses actually
connected to (``guarded_client``), so a DNS answer that changes in between (DNS
rebinding) is refused too. Environment proxies are ignored: the check must apply
to the real peer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx

from emocore.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False  # loopback, private, link-local and other non-public addresses
    ports: frozenset[int] = frozenset({80, 443})

    def refusal(self, address: str) -> str | None:
        """Why connecting to ``address`` is refused, or None."""
        ip: IPAddress = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self.allow_private or ip.is_global:
            return None
        kind = "loopback" if ip.is_loopback else "link-local" if ip.is_link_local else (
            "private" if ip.is_private else "non-public")
        return f"it resolves to a {kind} address ({ip})"

    def check_port(self, port: int, what: str) -> None:
        if port not in self.ports:
            allowed = ", ".join(str(p) for p in sorted(self.ports))
            raise InvalidInput(f"{what}: port {port} is not allowed (allowed: {allowed})")


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IP literals resolve to themselves)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidInput(f"host {host!r} cannot be resolved") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def first_refusal(addresses: Iterable[str], policy: AddressPolicy) -> str | None:
    return next((reason for a in addresses if (reason := policy.refusal(a))), None)


async def check_addresses(host: str, port: int, policy: AddressPolicy, what: str) -> list[str]:
    """The addresses of ``host``, all of them allowed, or InvalidInput naming the refusal."""
    policy.check_port(port, what)
    addresses = await resolve(host, port)
    reason = first_refusal(addresses, policy)
    if reason:
        raise InvalidInput(f"{what}: host {host!r} is refused: {reason}")
    return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, then connects to the checked address itself (no second lookup)."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await check_addresses(host, port, self.policy, "connection")
        except InvalidInput as exc:
            raise httpcore.ConnectError(exc.message) from exc
        return await self.inner.connect_tcp(addresses[0], port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_client(policy: AddressPolicy, *, timeout: float) -> httpx.AsyncClient:
    """An httpx client that connects only where ``policy`` allows, never following redirects."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(  # same pool, with the checking backend
        ssl_context=httpx.create_ssl_context(trust_env=False), network_backend=_GuardedBackend(policy)
    )
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)
