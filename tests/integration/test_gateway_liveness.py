"""A hostile subtitle file must not stall the gateway: /health/live answers throughout.

The gateway runs as a real uvicorn process (every modality service a closed port).
A real clip is uploaded with ``?wait=true`` and a 5 MB subtitle file made of one
cue followed by ``<`` characters, the input that made the old tag regex quadratic;
both parses (at submit, and in the job) and the line assignment happen while a
thread probes ``/health/live`` as the kubelet would, with the chart's 3 s timeout.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.sample_video import cached
from devtools.serve import free_port
from emocore.settings import REPO_ROOT

FIVE_MB = 5 * 1024 * 1024
PROBE_TIMEOUT_S = 3.0  # the chart's liveness probe timeoutSeconds


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    dead = f"http://127.0.0.1:{free_port()}"
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1",
        "EMO_GATEWAY_DATA_DIR": str(tmp_path / "data"), "EMO_GATEWAY_RETRIES": "0",
        **{f"EMO_GATEWAY_{name}_URL": dead for name in ("FACE", "TEXT", "AUDIO", "FUSION")},
    }
    log = (tmp_path / "gateway.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "gateway.app:app", "--port", str(port), "--log-level", "warning"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "gateway.log").read_text()
        try:
            if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:  # a gateway stuck in a parse ignores SIGTERM
            process.kill()
            process.wait()
        log.close()


def test_live_answers_throughout_a_5mb_lt_subtitle_upload(gateway: str) -> None:
    head = b"1\n00:00:00,000 --> 00:00:01,000\n"
    subtitles = head + b"<" * (FIVE_MB - len(head))
    video = cached("small").video.read_bytes()
    failures: list[str] = []
    answered = 0
    done = threading.Event()

    def probe() -> None:
        nonlocal answered
        with httpx.Client(timeout=PROBE_TIMEOUT_S) as client:
            while not done.is_set():
                try:
                    status = client.get(f"{gateway}/health/live").status_code
                    answered += 1
                    if status != 200:
                        failures.append(f"HTTP {status}")
                except httpx.HTTPError as exc:
                    failures.append(type(exc).__name__)
                time.sleep(0.1)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        response = httpx.post(
            f"{gateway}/v1/videos", params={"wait": "true"}, timeout=120,
            files={"video": ("clip.mp4", video, "video/mp4"),
                   "subtitles": ("clip.srt", subtitles, "application/x-subrip")},
        )
    finally:
        done.set()
        prober.join()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text_source"] == "subtitles"
    # No text service runs here: the shot's text is an error, or (a line of '<' is no known
    # language) no label with the reason, which needs no text service.
    text, errors = body["shots"][0]["text"], body["shots"][0].get("errors", {})
    assert (text is None and "text" in errors) or (text["label"] is None and text["reason"]), text
    assert failures == [] and answered >= 5
