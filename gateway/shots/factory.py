"""Detectors by name, and the default: the cascade, on Triton (GPU nodes) and on CPU alike.

The cascade finds more transitions than full TransNetV2 (its learned stage 1
catches dissolves the model misses; bench/reports/shot_families.md) with a
fraction of the model windows, so it is the default with or without Triton;
``transnetv2`` (every frame through the model) stays available by name.

Model-based detectors run on the backend that the caller's ``ServiceSettings``
(the gateway's) describe: Triton URL, timeout, retries, ONNX Runtime threads and
model repository all apply.
"""

from __future__ import annotations

from emocore.inference import InferenceBackend, create_backend
from emocore.inference.embedded import EmbeddedBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY, ServiceSettings
from gateway.shots.base import ShotDetector
from gateway.shots.cascade import CascadeDetector, CascadeParams
from gateway.shots.pyscenedetect import SceneDetectDetector
from gateway.shots.settings import ShotSettings
from gateway.shots.transnet import TransNetV2Detector

DETECTORS = ("content", "adaptive", "transnetv2", "cascade")


def model_backend(service: ServiceSettings | None) -> InferenceBackend:
    """Triton as ``service`` says, else ONNX Runtime in process (default repository without ``service``).

    In process, the session runs without ONNX Runtime's memory arena: the arena keeps
    the largest activations it ever held (TransNetV2: ~1 GB for 4 windows, ~260 MB
    for one), for as long as the gateway lives.
    """
    if service is not None and service.triton_url:
        return create_backend(service)
    if service is None:
        return EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, memory_arena=False)
    return EmbeddedBackend(service.model_repository, threads=service.inference_threads, memory_arena=False)


def create_detector(
    name: str,
    *,
    service: ServiceSettings | None = None,
    settings: ShotSettings | None = None,
    backend: InferenceBackend | None = None,
) -> ShotDetector:
    """A detector by name; model-based ones get ``backend``, else one built from ``service``.

    Without either, the model runs embedded on the default model repository.
    """
    settings = settings or ShotSettings()
    if name in ("content", "adaptive"):
        return SceneDetectDetector(name)
    if name not in DETECTORS:
        raise ValueError(f"unknown shot detector '{name}'; choose one of {', '.join(DETECTORS)}")
    if backend is None:
        backend = model_backend(service)
    if name == "transnetv2":
        return TransNetV2Detector(backend, threshold=settings.transnet_threshold, batch_size=settings.batch_size)
    return CascadeDetector(backend, CascadeParams(batch_size=settings.batch_size))


def default_detector(service: ServiceSettings, settings: ShotSettings | None = None) -> ShotDetector:
    """The detector ``settings`` ask for, else the default, on ``service``'s backend."""
    settings = settings or ShotSettings()
    return create_detector(settings.detector_name(), service=service, settings=settings)
