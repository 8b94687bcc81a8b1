"""A throwaway Prometheus server (Debian's ``prometheus``) scraping loopback targets.

It evaluates the dashboard's queries against what the running services export,
scraped as the Prometheus Operator would scrape them (tests/deploy/operator.py).
Installed by ``make prometheus`` (a prerequisite of ``make test``).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from devtools.serve import free_port

SCRAPE_INTERVAL_S = 1


class PrometheusMissing(RuntimeError):
    """No ``prometheus`` binary on PATH."""


@dataclass(frozen=True)
class Prometheus:
    url: str
    log_path: Path

    def query(self, expr: str) -> dict[str, Any]:
        """The API's answer: ``{"status": "success"|"error", "data"|"error": ...}``."""
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        return dict(response.json())

    def wait_for_scrapes(self, count: int, timeout_s: float = 30.0) -> None:
        """Until every target has been scraped ``count`` times (rate() needs two)."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = self.query("min(count_over_time(up[5m]))").get("data", {}).get("result", [])
            if result and float(result[0]["value"][1]) >= count:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"fewer than {count} scrapes per target after {timeout_s:.0f}s")
            time.sleep(0.5)

    def targets_up(self) -> int:
        answer = self.query("sum(up)")
        result = answer.get("data", {}).get("result", [])
        return int(float(result[0]["value"][1])) if result else 0


def binary() -> str:
    path = shutil.which("prometheus")
    if path is None:
        raise PrometheusMissing("prometheus is not installed: run 'make prometheus'")
    return path


@contextmanager
def run_prometheus(
    scrape_configs: list[dict[str, Any]], workdir: Path, *, timeout_s: float = 60.0
) -> Iterator[Prometheus]:
    """Scrape with ``scrape_configs`` every second, once every target is up."""
    config = {
        "global": {"scrape_interval": f"{SCRAPE_INTERVAL_S}s", "scrape_timeout": "1s"},
        "scrape_configs": scrape_configs,
    }
    targets = [t for job in scrape_configs for group in job["static_configs"] for t in group["targets"]]
    config_path = workdir / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    log_path = workdir / "prometheus.log"
    command = [
        binary(),
        f"--config.file={config_path}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    server = Prometheus(f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + timeout_s
        while not _all_up(server, len(targets)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prometheus not scraping every target:\n{log_path.read_text()}")
            time.sleep(0.5)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _all_up(server: Prometheus, expected: int) -> bool:
    try:
        return server.targets_up() == expected
    except (httpx.HTTPError, ValueError):
        return False
