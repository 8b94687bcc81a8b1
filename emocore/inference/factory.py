"""Pick the backend from settings: Triton when a URL is set, embedded otherwise."""

from __future__ import annotations

from emocore.inference.base import InferenceBackend
from emocore.inference.embedded import EmbeddedBackend
from emocore.settings import ServiceSettings


def create_backend(settings: ServiceSettings) -> InferenceBackend:
    """The backend the settings ask for."""
    if settings.triton_url:
        from emocore.inference.triton import TritonBackend

        return TritonBackend(
            settings.triton_url,
            timeout_s=settings.triton_timeout_s,
            retries=settings.triton_retries,
        )
    return EmbeddedBackend(settings.model_repository, threads=settings.inference_threads)
