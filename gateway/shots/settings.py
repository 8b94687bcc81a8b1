"""Shot segmentation settings (env prefix ``EMO_SHOTS_``, e.g. ``EMO_SHOTS_MIN_SHOT_S=1.0``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ShotSettings(BaseSettings):
    """Which detector, its thresholds and the shot length limits (docs/shots.md)."""

    model_config = SettingsConfigDict(env_prefix="EMO_SHOTS_", extra="ignore")

    detector: str | None = None  # None: "transnetv2" with a Triton URL, else "cascade"
    min_shot_s: float = 0.5  # shorter shots are merged into a neighbour
    max_shot_s: float = 120.0  # longer shots (static takes) are split evenly
    transnet_threshold: float = 0.5  # full TransNetV2
    batch_size: int = 4  # 100-frame windows per inference request
    inference_threads: int = 0  # ONNX Runtime threads in embedded mode; 0 = library default
