"""Run the real services as uvicorn processes on loopback and read their /metrics.

Used by the dashboard check: the names the services really export, after one good
and one bad request each so that labelled series exist.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.deploy.chart import REPO_ROOT
from tests.support.triton import free_port

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)")


@dataclass(frozen=True)
class Served:
    name: str
    url: str
    log_path: Path

    @property
    def metrics_url(self) -> str:
        return f"{self.url}/metrics"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def serve(
    name: str, app: str, env: dict[str, str], log_dir: Path, *, ready_timeout_s: float = 180.0
) -> Iterator[Served]:
    """``uvicorn APP`` on a free loopback port until the block ends; waits for /health/ready."""
    port = free_port()
    log_path = log_dir / f"{name}.log"
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env={**os.environ, **env}, stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    served = Served(name, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + ready_timeout_s
        while not _ready(served.url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become ready; its log:\n{served.log()}")
            time.sleep(0.2)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def sample_names(metrics_url: str) -> set[str]:
    """Every series name in a text exposition (``x_bucket``, ``x_sum``, ``x_count`` included).

    Read off the sample lines as Prometheus stores them: prometheus_client's parser
    would rename a counter ``x`` to ``x_total``, which Triton's counters are not.
    """
    response = httpx.get(metrics_url, timeout=10)
    response.raise_for_status()
    return {
        match.group(1)
        for line in response.text.splitlines()
        if (match := _SAMPLE.match(line))
    }
