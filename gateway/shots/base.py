"""The detector interface and the values it produces.

A detector looks at every frame of a video as 48x27 RGB (``[N, 27, 48, 3]`` uint8,
decoded once by ``gateway.decode``) and returns the transitions it finds as
``Boundary`` values; ``gateway.shots.timeline`` turns boundaries into shots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

BoundaryKind = Literal["cut", "gradual"]
Transition = Literal["start", "cut", "gradual", "split"]
FRAME_SHAPE = (27, 48, 3)


@dataclass(frozen=True)
class Boundary:
    """A transition; ``frame`` is the first frame of the new shot.

    For a gradual transition ``first..last`` are the frames it spans (``frame`` lies
    inside); for a cut they equal ``frame``. ``confidence`` is in [0, 1].
    """

    frame: int
    kind: BoundaryKind
    confidence: float
    first: int
    last: int

    @classmethod
    def cut(cls, frame: int, confidence: float) -> Boundary:
        return cls(frame, "cut", confidence, frame, frame)


@dataclass(frozen=True)
class Shot:
    """A shot: frames ``start_frame..end_frame`` inclusive, times in seconds (end exclusive).

    ``transition`` is how the shot begins: "start" (the first shot), "cut", "gradual",
    or "split" (no visual transition: a take longer than the maximum shot length was
    divided); ``confidence`` is the detector's confidence in that transition.
    """

    index: int
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    transition: Transition
    confidence: float

    @property
    def frame_count(self) -> int:
        return self.end_frame - self.start_frame + 1

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "transition": self.transition,
            "confidence": round(self.confidence, 3),
        }


class ShotDetector(Protocol):
    """Finds transitions in a video's small frames."""

    name: str

    async def detect(self, frames: np.ndarray, fps: float, keep: tuple[int, int] | None = None) -> list[Boundary]:
        """Boundaries sorted by frame; CPU-heavy work runs off the event loop.

        ``keep``: only boundaries in frames ``[keep[0], keep[1])`` are wanted (the rest of
        ``frames`` is context); a detector may skip work that can only find others.
        """
        ...

    async def close(self) -> None:
        """Release the inference backend, if the detector owns one."""
        ...


def check_frames(frames: np.ndarray) -> None:
    """Raise ValueError unless frames is uint8 [N, 27, 48, 3]."""
    if frames.dtype != np.uint8 or frames.ndim != 4 or tuple(frames.shape[1:]) != FRAME_SHAPE:
        raise ValueError(f"expected uint8 frames [N, 27, 48, 3], got {frames.dtype} {frames.shape}")
