"""Allow-lists for user-given URLs (video download, webhooks): off by default, exact hosts."""

from __future__ import annotations

import pytest

from emocore.errors import InvalidInput
from gateway.remote import check_allowed


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
