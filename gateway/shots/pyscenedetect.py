"""PySceneDetect's ContentDetector and AdaptiveDetector, run on our decoded 48x27 frames.

The real ``scenedetect`` 0.7 detectors (installed ``--no-deps``; they use our
opencv-python-headless) are fed frame by frame, converted to the BGR they expect,
so nothing is decoded twice. They report hard cuts only; a dissolve is found when
one of its frame-to-frame changes happens to pass the threshold. PySceneDetect
gives no confidence, so ours is the frame's content score over twice the
content threshold (27), capped at 1.
"""

from __future__ import annotations

import asyncio

import cv2
import numpy as np

from gateway.shots.base import Boundary, check_frames
from gateway.shots.signal import hsv_delta

CONTENT_THRESHOLD = 27.0


class SceneDetectDetector:
    """``kind`` "content" (threshold on the HSV change) or "adaptive" (ratio to neighbours)."""

    def __init__(self, kind: str = "content", *, min_scene_len: int = 15, **params: float) -> None:
        if kind not in ("content", "adaptive"):
            raise ValueError(f"unknown PySceneDetect detector '{kind}'")
        from scenedetect.detectors import AdaptiveDetector, ContentDetector  # optional heavy import

        self.name = kind
        self._factory = ContentDetector if kind == "content" else AdaptiveDetector
        self._params: dict[str, float] = {"min_scene_len": min_scene_len, **params}

    def cuts(self, frames: np.ndarray, fps: float) -> list[int]:
        """Frame numbers where PySceneDetect starts a new scene."""
        from scenedetect.common import FrameTimecode

        check_frames(frames)
        detector = self._factory(**self._params)  # detectors are stateful: one per video
        found = []
        for index, frame in enumerate(frames):
            found += detector.process_frame(FrameTimecode(index, fps=fps), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        if len(frames):
            found += detector.post_process(FrameTimecode(len(frames) - 1, fps=fps))
        return sorted({int(tc.frame_num) for tc in found if 0 < tc.frame_num < len(frames)})

    def _detect(self, frames: np.ndarray, fps: float) -> list[Boundary]:
        cuts = self.cuts(frames, fps)
        scores = hsv_delta(frames)
        return [Boundary.cut(f, float(min(1.0, scores[f] / (2 * CONTENT_THRESHOLD)))) for f in cuts]

    async def detect(self, frames: np.ndarray, fps: float, keep: tuple[int, int] | None = None) -> list[Boundary]:
        return await asyncio.to_thread(self._detect, frames, fps)

    async def close(self) -> None:
        return None
