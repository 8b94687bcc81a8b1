"""Retries do not multiply across layers, and a job has a deadline.

The text service runs under uvicorn with Triton mode pointed at a fake Triton (a
real HTTP server) that answers every inference 503 and counts the calls. The
gateway's own client retries twice: the three gateway attempts must cost three
Triton calls, not 3 x 4. Called directly (no budget header), the service still
retries Triton as configured.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.clients import ServiceClients
from gateway.downstream import DownstreamError
from gateway.folder import JobFolder
from gateway.jobs import Job
from gateway.metrics import GatewayMetrics
from gateway.runner import JobReport, JobRunner
from gateway.settings import GatewaySettings
from gateway.store_sqlite import SQLiteJobStore
from services.text.app import create_app
from services.text.settings import TextSettings
from tests.integration.gateway_http import serving

TRITON_RETRIES = 3  # the service's own setting: 4 attempts when nobody caps it
GATEWAY_RETRIES = 2  # 3 attempts


class FakeTriton(BaseHTTPRequestHandler):
    infer_calls = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/infer"):
            FakeTriton.infer_calls += 1
        body = b'{"error": "server is unavailable"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def text_url() -> Iterator[str]:
    triton = ThreadingHTTPServer(("127.0.0.1", 0), FakeTriton)
    threading.Thread(target=triton.serve_forever, daemon=True).start()
    settings = TextSettings(triton_url=f"http://127.0.0.1:{triton.server_port}", triton_retries=TRITON_RETRIES,
                            triton_timeout_s=5.0)
    with serving(create_app(settings)) as url:
        yield url
    triton.shutdown()


def test_gateway_attempts_times_triton_attempts_no_longer_multiply(text_url: str) -> None:
    settings = GatewaySettings(text_url=text_url, retries=GATEWAY_RETRIES, backoff_s=0.01, breaker_failures=100)

    async def call() -> None:
        clients = ServiceClients(settings, GatewayMetrics())
        try:
            await clients.texts(["what a day"])
        finally:
            await clients.close()

    FakeTriton.infer_calls = 0
    with pytest.raises(DownstreamError, match="after 3 attempts"):
        asyncio.run(call())
    assert FakeTriton.infer_calls == GATEWAY_RETRIES + 1  # was (2 + 1) x (3 + 1) = 12


def test_a_direct_caller_gets_the_services_own_retries(text_url: str) -> None:
    FakeTriton.infer_calls = 0
    response = httpx.post(f"{text_url}/v1/predict", json={"texts": ["what a day"]}, timeout=60)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "backend_unavailable"
    assert FakeTriton.infer_calls == TRITON_RETRIES + 1


def test_a_job_past_its_deadline_is_stopped_and_failed(tmp_path: Path) -> None:
    async def endless(job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {}

    async def main() -> Job:
        settings = GatewaySettings(data_dir=tmp_path, job_timeout_s=0.5)
        runner = JobRunner(settings, SQLiteJobStore(tmp_path / "jobs.sqlite3"), GatewayMetrics(), endless)
        await runner.start()
        try:
            runner.submit("b" * 32, {}, None)
            return await runner.wait("b" * 32, 10)
        finally:
            await runner.stop()

    job = asyncio.run(main())
    assert job.status == "failed" and job.error is not None and "0.5-s time limit" in job.error
