"""Headless Chromium (Debian's ``chromium`` + ``chromium-driver``, ``make chromium``) driven by selenium.

``chrome()`` opens a fresh browser profile in a temporary folder with the flags
that keep a headless Chromium quiet and offline apart from the pages it is sent to
(no sync, no component updates, no background networking, no QUIC); it fails with
an explanation, never skips, when the browser or its driver is missing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
)


class BrowserMissing(RuntimeError):
    """Chromium or chromedriver is not installed."""


def binaries() -> tuple[str, str]:
    """Paths of the Chromium binary and its driver (BrowserMissing if either is absent)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        raise BrowserMissing("Chromium and chromedriver are needed: `make chromium` installs Debian's packages")
    return browser, driver


@contextmanager
def chrome(width: int = 1400, height: int = 1000) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a fresh profile, closed (and its profile deleted) on exit."""
    browser, driver = binaries()
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()
        shutil.rmtree(profile, ignore_errors=True)
