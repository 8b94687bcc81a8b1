"""Detectors by name, and the default: full TransNetV2 on Triton, the cascade on CPU.

With a Triton URL (GPU nodes) TransNetV2 over every frame is cheap and the most
accurate single model, so it is the default; without one (embedded, a laptop's
CPU) the cascade gives the same accuracy at a fraction of the model time.
"""

from __future__ import annotations

from pathlib import Path

from emocore.inference import InferenceBackend, create_backend
from emocore.settings import DEFAULT_MODEL_REPOSITORY, ServiceSettings
from gateway.shots.base import ShotDetector
from gateway.shots.cascade import CascadeDetector, CascadeParams
from gateway.shots.pyscenedetect import SceneDetectDetector
from gateway.shots.settings import ShotSettings
from gateway.shots.transnet import TransNetV2Detector

DETECTORS = ("content", "adaptive", "transnetv2", "cascade")


def default_detector_name(triton_url: str | None, settings: ShotSettings | None = None) -> str:
    """The configured detector, else "transnetv2" when Triton serves the model, else "cascade"."""
    chosen = (settings or ShotSettings()).detector
    return chosen or ("transnetv2" if triton_url else "cascade")


def model_backend(triton_url: str | None, model_repository: Path, threads: int = 0) -> InferenceBackend:
    """Triton when a URL is given, else ONNX Runtime in process on the model repository."""
    return create_backend(
        ServiceSettings(triton_url=triton_url, model_repository=model_repository, inference_threads=threads)
    )


def create_detector(
    name: str,
    *,
    triton_url: str | None = None,
    model_repository: Path = DEFAULT_MODEL_REPOSITORY,
    settings: ShotSettings | None = None,
    backend: InferenceBackend | None = None,
) -> ShotDetector:
    """A detector by name; model-based ones get ``backend`` or one built from the URL/repository."""
    settings = settings or ShotSettings()
    if name in ("content", "adaptive"):
        return SceneDetectDetector(name)
    if name not in DETECTORS:
        raise ValueError(f"unknown shot detector '{name}'; choose one of {', '.join(DETECTORS)}")
    backend = backend or model_backend(triton_url, model_repository, settings.inference_threads)
    if name == "transnetv2":
        return TransNetV2Detector(backend, threshold=settings.transnet_threshold, batch_size=settings.batch_size)
    return CascadeDetector(backend, CascadeParams(batch_size=settings.batch_size))


def default_detector(
    triton_url: str | None,
    *,
    model_repository: Path = DEFAULT_MODEL_REPOSITORY,
    settings: ShotSettings | None = None,
) -> ShotDetector:
    """The detector the settings ask for (see ``default_detector_name``)."""
    return create_detector(
        default_detector_name(triton_url, settings),
        triton_url=triton_url,
        model_repository=model_repository,
        settings=settings,
    )
