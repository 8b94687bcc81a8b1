"""Shot detection over a stream of frames: a bounded window slides along the video.

``BoundaryStream`` feeds any detector (``ShotDetector.detect``) one block of
``block`` frames at a time, with ``context`` real frames on each side, and keeps
the boundaries that fall inside the block: TransNetV2's 100-frame windows and
the cascade's candidates (found, read by the model and decided) never look
further than that context, so a boundary is final once the block that holds it
has been run. The detector is told which frames are the block (``keep``), so the
cascade does not have the model read candidates in the context, which the
neighbouring block reads anyway. Blocks sit at fixed frame positions, so what is found does not
depend on how the frames were pushed. It holds at most ``block + 2 * context``
frames (48x27 RGB, 3.9 kB each: 12 MB for the default 3000 + 2x100).

``ShotStream`` adds ``gateway.shots.timeline.ShotTimeline``: push frames and their
times, get the shots that have become final.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gateway.shots.base import FRAME_SHAPE, Boundary, Shot, ShotDetector
from gateway.shots.timeline import MAX_SHOT_S, MIN_SHOT_S, ShotTimeline


class BoundaryStream:
    """Boundaries of a stream of 48x27 frames, block by block (see the module docstring)."""

    def __init__(self, detector: ShotDetector, fps: float, *, block: int = 3000, context: int = 100) -> None:
        if block < 1 or context < 0:
            raise ValueError("block must be positive and context not negative")
        self.detector, self.fps, self.block, self.context = detector, fps, block, context
        self.frames = np.zeros((0, *FRAME_SHAPE), np.uint8)
        self.offset = 0  # video index of self.frames[0]
        self.core = 0  # first frame of the next block
        self.blocks = 0  # blocks run so far

    @property
    def received(self) -> int:
        return self.offset + len(self.frames)

    @property
    def settled(self) -> int:
        """Every boundary before this frame has been returned."""
        return self.core

    async def push(self, frames: np.ndarray) -> list[Boundary]:
        """Add frames; the boundaries of the blocks they complete."""
        self.frames = np.concatenate([self.frames, frames]) if len(self.frames) else frames.copy()
        found: list[Boundary] = []
        while self.received >= self.core + self.block + self.context:
            found += await self._run(self.core + self.block)
        return found

    async def finish(self) -> list[Boundary]:
        """The boundaries of the remaining frames (the video has ended)."""
        found: list[Boundary] = []
        while self.core < self.received:
            found += await self._run(min(self.core + self.block, self.received))
        return found

    async def _run(self, stop: int) -> list[Boundary]:
        start = self.core
        lo = max(self.offset, start - self.context)
        hi = min(self.received, stop + self.context)
        window = self.frames[lo - self.offset : hi - self.offset]
        bounds = await self.detector.detect(window, self.fps, (start - lo, stop - lo)) if len(window) > 1 else []
        kept = [
            replace(b, frame=b.frame + lo, first=b.first + lo, last=b.last + lo)
            for b in bounds
            if start <= b.frame + lo < stop
        ]
        self.core, self.blocks = stop, self.blocks + 1
        drop = max(0, stop - self.context - self.offset)
        self.frames, self.offset = self.frames[drop:], self.offset + drop
        return kept


class ShotStream:
    """Final shots of a stream: ``push(frames, times)`` as decoded, then ``finish()``."""

    def __init__(
        self,
        detector: ShotDetector,
        fps: float,
        *,
        block: int = 3000,
        context: int = 100,
        min_shot_s: float = MIN_SHOT_S,
        max_shot_s: float = MAX_SHOT_S,
    ) -> None:
        self.boundaries = BoundaryStream(detector, fps, block=block, context=context)
        self.timeline = ShotTimeline(fps, min_shot_s=min_shot_s, max_shot_s=max_shot_s)

    async def push(self, frames: np.ndarray, times: np.ndarray) -> list[Shot]:
        self.timeline.add_times(times)
        bounds = await self.boundaries.push(frames)
        return self.timeline.push(bounds, self.boundaries.settled)

    async def finish(self) -> list[Shot]:
        bounds = await self.boundaries.finish()
        return self.timeline.push(bounds, self.boundaries.settled) + self.timeline.finish()
