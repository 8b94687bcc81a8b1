"""Shot segmentation settings, nested in the gateway's (``EMO_GATEWAY_SHOTS__MIN_SHOT_S=1.0``).

A plain model, not read from the environment by itself: the gateway's settings
(``GatewaySettings.shots``) read it, and library calls get it passed in.
"""

from __future__ import annotations

from pydantic import BaseModel

from gateway.shots.timeline import MAX_SHOT_S, MIN_SHOT_S


class ShotSettings(BaseModel):
    """Which detector, its thresholds and the shot length limits (docs/shots.md)."""

    detector: str | None = None  # None: "cascade" (on Triton too: more accurate than full TransNetV2)
    min_shot_s: float = MIN_SHOT_S  # shorter shots are merged into a neighbour
    max_shot_s: float = MAX_SHOT_S  # longer shots (static takes) are split evenly
    transnet_threshold: float = 0.5  # full TransNetV2
    # 100-frame windows per inference request: on CPU one window runs as fast per window as
    # four, and four hold ~4x the activations (~750 MB peak for TransNetV2 in ONNX Runtime).
    batch_size: int = 1

    def detector_name(self) -> str:
        """The configured detector, else "cascade"."""
        return self.detector or "cascade"
