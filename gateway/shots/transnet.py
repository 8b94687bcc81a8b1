"""TransNetV2 through the inference backend: windowing, full-video detection, predictions -> boundaries.

The model sees windows of 100 frames and is trusted on the middle 50 (25 frames
of context on each side): the standard scheme runs windows starting every 50
frames from frame -25, the video padded by repeating its first and last frame.
``predict_windows`` runs any set of window starts (the cascade uses it on a few);
``TransNetV2Detector`` runs the standard scheme over the whole video.

Boundaries: frames whose ``single_frame`` probability exceeds the threshold form
runs; each run is widened to where the probability stays above ``extent`` (0.05).
TransNetV2 is peaky on dissolves too (often one frame over 0.5), but around a hard
cut it drops below 0.05 at once (43 of 46 cuts in our benchmark videos) while a
dissolve keeps 3 or more frames above it (28 of 32). So a widened span of 3+ frames
is a gradual transition, whose new shot starts at the span's middle; otherwise it is
a cut, marked by TransNetV2 on the last frame of the outgoing shot, so the new shot
starts at the frame after the peak.
"""

from __future__ import annotations

import numpy as np

from emocore.inference import InferenceBackend
from gateway.shots.base import Boundary, check_frames
from gateway.shots.signal import runs

MODEL = "transnetv2"
WINDOW, CONTEXT, STRIDE = 100, 25, 50
GRADUAL_SPAN = 3  # frames above ``extent`` around a peak that make a transition gradual


def window_starts(count: int) -> list[int]:
    """Starts of the standard windows whose trusted middles tile frames 0..count-1."""
    return list(range(-CONTEXT, count - CONTEXT, STRIDE))


def windows(frames: np.ndarray, starts: list[int]) -> np.ndarray:
    """[len(starts), 100, 27, 48, 3]; positions outside the video repeat its first/last frame."""
    index = np.clip(np.asarray(starts)[:, None] + np.arange(WINDOW), 0, len(frames) - 1)
    return frames[index]


async def predict_windows(
    backend: InferenceBackend, frames: np.ndarray, starts: list[int], *, batch_size: int = 4
) -> np.ndarray:
    """[len(starts), 100] ``single_frame`` probabilities of each window."""
    out = []
    for begin in range(0, len(starts), batch_size):
        batch = windows(frames, starts[begin : begin + batch_size])
        result = await backend.infer(MODEL, {"frames": batch}, ["single_frame"])
        out.append(result["single_frame"].reshape(len(batch), WINDOW))
    return np.concatenate(out) if out else np.zeros((0, WINDOW), np.float32)


def trusted(predictions: np.ndarray, starts: list[int], count: int) -> np.ndarray:
    """[count] probabilities from the windows' middles; NaN where no window is trusted."""
    out = np.full(count, np.nan, np.float32)
    for row, start in zip(predictions, starts, strict=True):
        lo, hi = max(0, start + CONTEXT), min(count, start + CONTEXT + STRIDE)
        if hi > lo:
            out[lo:hi] = row[lo - start : hi - start]
    return out


def boundaries(probs: np.ndarray, threshold: float = 0.5, *, extent: float = 0.05) -> list[Boundary]:
    """Boundaries from per-frame probabilities (NaN = not evaluated, treated as 0)."""
    values = np.nan_to_num(probs, nan=0.0)
    above = np.flatnonzero(values > threshold)
    found = []
    for run in runs(above):
        peak = int(run[np.argmax(values[run])])
        first, last = int(run[0]), int(run[-1])
        while first > 0 and values[first - 1] > extent:
            first -= 1
        while last + 1 < len(values) and values[last + 1] > extent:
            last += 1
        if last - first + 1 >= GRADUAL_SPAN:
            found.append(Boundary((first + last + 1) // 2, "gradual", float(values[peak]), first, last))
        elif peak + 1 < len(values):
            found.append(Boundary.cut(peak + 1, float(values[peak])))
    return found


class TransNetV2Detector:
    """Full TransNetV2: every frame is evaluated (~2 model-frames per video frame)."""

    name = "transnetv2"

    def __init__(self, backend: InferenceBackend, *, threshold: float = 0.5, batch_size: int = 4) -> None:
        self.backend = backend
        self.threshold = threshold
        self.batch_size = batch_size

    async def probabilities(self, frames: np.ndarray) -> np.ndarray:
        check_frames(frames)
        starts = window_starts(len(frames))
        predictions = await predict_windows(self.backend, frames, starts, batch_size=self.batch_size)
        return trusted(predictions, starts, len(frames))

    async def detect(self, frames: np.ndarray, fps: float, keep: tuple[int, int] | None = None) -> list[Boundary]:
        return boundaries(await self.probabilities(frames), self.threshold)

    async def close(self) -> None:
        await self.backend.close()
