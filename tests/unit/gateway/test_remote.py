"""User-given URLs (video download, webhooks): allow-listed hosts, public addresses, allowed ports.

Off by default, exact host names; the resolved addresses are checked at submit time
and again at connect time (a DNS answer may change in between).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from emocore.errors import InvalidInput
from gateway.outbound import AddressPolicy, guarded_client
from gateway.remote import check_allowed, check_url, download


def test_off_without_an_allow_list() -> None:
    with pytest.raises(InvalidInput, match="disabled"):
        check_allowed("https://media.example.com/a.mp4", [], "video_url")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://media.example.com/a.mp4", "not an http"),
        ("file:///etc/passwd", "not an http"),
        ("https://evil.example.org/a.mp4", "not on the allow-list"),
        ("https://media.example.com.evil.org/a.mp4", "not on the allow-list"),
        ("https://user@127.0.0.1/a.mp4", "not on the allow-list"),
    ],
)
def test_other_schemes_and_hosts_are_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_allowed(url, ["media.example.com"], "video_url")


def test_listed_host_is_accepted_case_insensitively() -> None:
    url = "https://Media.Example.com:8443/v/a.mp4?x=1"
    assert check_allowed(url, ["media.example.com"], "video_url") == url


@pytest.mark.parametrize(
    ("address", "kind"),
    [("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.7", "private"),
     ("172.16.5.4", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
     ("::ffff:127.0.0.1", "loopback"), ("fd00::1", "private"), ("0.0.0.0", "private"), ("100.64.0.1", "non-public")],
)
def test_non_public_addresses_are_refused_unless_allowed(address: str, kind: str) -> None:
    assert kind in (AddressPolicy().refusal(address) or "")
    assert AddressPolicy(allow_private=True).refusal(address) is None


def test_public_addresses_pass() -> None:
    assert AddressPolicy().refusal("93.184.216.34") is None
    assert AddressPolicy().refusal("2606:2800:220:1:248:1893:25c8:1946") is None


@pytest.mark.parametrize(
    ("url", "message"),
    [("http://localhost/hook", "loopback"), ("http://127.0.0.1/hook", "loopback"),
     ("http://169.254.169.254/latest/meta-data/", "link-local"), ("https://10.0.0.8/hook", "private"),
     ("http://media.example.com:22/a.mp4", "port 22 is not allowed")],
)
def test_submitted_urls_are_checked_on_their_port_and_resolved_addresses(url: str, message: str) -> None:
    hosts = ["localhost", "127.0.0.1", "169.254.169.254", "10.0.0.8", "media.example.com"]
    with pytest.raises(InvalidInput, match=message):
        asyncio.run(check_url(url, hosts, AddressPolicy(), "webhook_url"))


class Hook(BaseHTTPRequestHandler):
    hits = 0

    def do_POST(self) -> None:
        Hook.hits += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook_url() -> Iterator[tuple[str, int]]:
    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Hook.hits = 0
    yield f"http://127.0.0.1:{server.server_port}/done", server.server_port
    server.shutdown()


def test_the_address_is_checked_again_when_connecting(hook_url: tuple[str, int]) -> None:
    # As after a DNS rebinding: the URL passed at submit time, the host now resolves to
    # loopback. The connection itself is refused; the local server receives nothing.
    url, port = hook_url
    async def deliver(policy: AddressPolicy) -> bool:  # as the webhook sender does (gateway.webhooks)
        async with guarded_client(policy, timeout=10.0) as client:
            try:
                return (await client.post(url, json={"id": "x"})).status_code < 300
            except httpx.HTTPError:
                return False

    refused = AddressPolicy(ports=frozenset({port}))
    assert asyncio.run(deliver(refused)) is False
    assert Hook.hits == 0
    allowed = AddressPolicy(allow_private=True, ports=frozenset({port}))
    assert asyncio.run(deliver(allowed)) is True
    assert Hook.hits == 1


def test_a_download_to_a_refused_address_never_connects(hook_url: tuple[str, int], tmp_path: Path) -> None:
    url, port = hook_url
    with pytest.raises(InvalidInput, match="loopback"):
        asyncio.run(download(url, tmp_path / "v", max_bytes=1000, policy=AddressPolicy(ports=frozenset({port}))))
