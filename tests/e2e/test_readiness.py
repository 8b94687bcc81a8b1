"""The gateway is ready only when what a job needs is: the services, and Triton behind them.

Real processes throughout: the whole stack (tests/e2e/conftest.py), a second text
service whose Triton is a closed port, and a second gateway that uses it. Probes
are cheap: many gateway probes within the cache period cost a service one check.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.serve import LocalStack, free_port
from emocore.settings import REPO_ROOT

CACHE_S = 5.0  # the gateway's default ready_cache_s


def ready_checks(url: str, service: str) -> float:
    """How many /health/ready requests ``service`` at ``url`` has answered 200."""
    line = f'emo_http_requests_total{{method="GET",route="/health/ready",service="{service}",status="200"}}'
    for row in httpx.get(f"{url}/metrics").text.splitlines():
        if row.startswith(line):
            return float(row.split()[-1])
    return 0.0


def ready_status(url: str) -> int:
    return httpx.get(f"{url}/health/ready", timeout=10).status_code


def wait_status(url: str, status: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready_status(url) == status:
            return True
        time.sleep(0.5)
    return False


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[object]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(app: str, env: dict[str, str]) -> str:
        port = free_port()
        log = (tmp_path / f"{app}.{port}.log").open("wb")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning"],
            cwd=REPO_ROOT, env={"PATH": "/usr/bin:/bin", **env}, stdout=log, stderr=subprocess.STDOUT,
        ))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError(f"{app} did not start")

    yield start
    for process in processes:
        process.terminate()
        process.wait(15)


@pytest.mark.slow
def test_gateway_readiness_follows_the_services_and_triton(stack: LocalStack, spawn: object, tmp_path: Path) -> None:
    gateway, fusion = stack.url("gateway"), stack.url("fusion")
    assert ready_status(gateway) == 200

    # Cheap: 20 probes within the cache period reach the fusion service at most twice.
    before = ready_checks(fusion, "fusion")
    for _ in range(20):
        assert ready_status(gateway) == 200
    assert ready_checks(fusion, "fusion") - before <= 2

    # A text service whose Triton is down is not ready; a gateway using it is not either.
    text_without_triton = spawn("services.text.app:app", {"EMO_TEXT_TRITON_URL": f"127.0.0.1:{free_port()}",
                                                          "EMO_TEXT_TRITON_TIMEOUT_S": "1"})
    assert ready_status(text_without_triton) == 503
    urls = {name: stack.url(name) for name in ("face", "audio", "fusion")} | {"text": text_without_triton}
    second = spawn("gateway.app:app", {"EMO_GATEWAY_DATA_DIR": str(tmp_path / "second"),
                                       **{f"EMO_GATEWAY_{n.upper()}_URL": u for n, u in urls.items()}})
    assert not wait_status(second, 200, 2 * CACHE_S)

    # A service going away takes the gateway out of readiness within the cache period.
    stack.kill("fusion")
    assert wait_status(gateway, 503, CACHE_S + 5)
    assert httpx.get(f"{gateway}/health/live").status_code == 200
