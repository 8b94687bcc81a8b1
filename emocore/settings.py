"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_REPOSITORY = REPO_ROOT / "model_repository"
# Multilingual Whisper (CTranslate2) assembled by ``make models`` (models/whisper_base.py).
DEFAULT_ASR_MULTILINGUAL_DIR = REPO_ROOT / "build" / "asr" / "whisper-base"


class ServiceSettings(BaseSettings):
    """Inference backend choice and common limits.

    With no ``triton_url`` the embedded backend (ONNX Runtime in process) reads the
    model repository directly; with one, models are served by Triton.
    """

    model_config = SettingsConfigDict(env_prefix="EMO_", extra="ignore")

    model_repository: Path = DEFAULT_MODEL_REPOSITORY
    triton_url: str | None = None
    triton_timeout_s: float = 30.0
    triton_retries: int = 3
    inference_threads: int = 0  # ONNX Runtime intra-op threads; 0 = library default
    max_request_bytes: int = 64 * 1024 * 1024
    max_concurrent_requests: int = 16
