"""Flashes: a violent change that the picture comes back from within a few frames (a photographer's
flash, an explosion, a strobe), found and painted out before the cascade's stage 1 and its model read
the frames.

A flash is not a cut, and it must not hide what happens under it either: a flash that falls inside
a dissolve used to silence the whole dissolve. So the cascade finds each flash (``returns``) and
replaces its frames by the straight blend of the frame before it and the frame it returns to
(``painted_out``); the learned scorer and TransNetV2 then read a video without it.
"""

from __future__ import annotations

import numpy as np

REACH = 4  # frames after a flash's first frame within which the picture must come back
BACK = 0.5  # ... to closer than this share of the change into the flash


def returns(pixels: np.ndarray, at: np.ndarray, delta: np.ndarray, reach: int = REACH, back: float = BACK) -> np.ndarray:
    """[len(at)] int: for each candidate frame ``at`` (a large change against the frame before),
    the frame the picture returns to when the change is a flash (the frame of the next ``reach``
    closest to the one before ``at``, if closer than ``back`` times that change), else 0.
    ``pixels``: the frames' HSV (``signal.hsv``); ``delta``: ``signal.hsv_delta``."""
    count = len(pixels)
    if not len(at):
        return np.zeros(0, np.int64)
    before = pixels[np.maximum(at - 1, 0)]
    distance = np.empty((reach, len(at)), np.float32)
    for step in range(1, reach + 1):
        inside = at + step < count
        gap = np.abs(before - pixels[np.minimum(at + step, count - 1)]).mean(axis=1)
        distance[step - 1] = np.where(inside, gap, np.inf)
    step = np.argmin(distance, axis=0)
    flash = distance[step, np.arange(len(at))] < back * delta[at]
    return np.where(flash, at + step + 1, 0)


def painted_out(frames: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``frames`` with frames ``start .. end-1`` of each flash replaced by the blend, frame by
    frame, of frame ``start-1`` into frame ``end`` (a copy; ``frames`` itself when there is none)."""
    if not len(starts):
        return frames
    out = frames.copy()
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        before, after = frames[max(start - 1, 0)].astype(np.float32), frames[end].astype(np.float32)
        for index in range(start, end):
            weight = (index - start + 1) / (end - start + 1)
            out[index] = np.rint(before + (after - before) * weight).astype(np.uint8)
    return out
