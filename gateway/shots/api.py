"""Entry points: ``detect_shots`` (async, any detector) and ``detect`` (blocking, for worker threads)."""

from __future__ import annotations

import asyncio

import numpy as np

from emocore.settings import ServiceSettings
from gateway.decode import DecodedVideo
from gateway.shots.base import Shot, ShotDetector
from gateway.shots.factory import create_detector
from gateway.shots.settings import ShotSettings
from gateway.shots.timeline import build_shots


async def detect_shots(
    small_frames: np.ndarray,
    fps: float,
    detector: ShotDetector,
    *,
    timestamps: np.ndarray | None = None,
    settings: ShotSettings | None = None,
) -> list[Shot]:
    """Shots of a video from its 48x27 frames: detect boundaries, apply the length limits."""
    settings = settings or ShotSettings()
    bounds = await detector.detect(small_frames, fps)
    return build_shots(
        bounds,
        len(small_frames),
        fps,
        timestamps=timestamps,
        min_shot_s=settings.min_shot_s,
        max_shot_s=settings.max_shot_s,
    )


def detect(
    decoded: DecodedVideo,
    name: str | None = None,
    *,
    service: ServiceSettings | None = None,
    settings: ShotSettings | None = None,
) -> list[Shot]:
    """Blocking: build the detector (``name`` or the default), run it in its own event loop, close it.

    Model-based detectors run on ``service``'s backend (embedded on the default model
    repository without one).

    Meant for a worker thread (``asyncio.to_thread``) or a script; never call it on a
    running event loop.
    """
    settings = settings or ShotSettings()
    chosen = name or settings.detector_name()

    async def run() -> list[Shot]:
        detector = create_detector(chosen, service=service, settings=settings)
        try:
            return await detect_shots(
                decoded.small_frames,
                decoded.info.fps,
                detector,
                timestamps=decoded.timestamps,
                settings=settings,
            )
        finally:
            await detector.close()

    return asyncio.run(run())
