"""Cheap per-frame change signals over a whole video (vectorised numpy/OpenCV, tens of µs a frame).

- ``hsv`` / ``hsv_delta``: PySceneDetect's ``content_val`` with default weights: the
  mean absolute difference of hue, saturation and value between a frame and the one
  before, averaged over the three channels (0..255); ``change_at`` recomputes it for a few frames;
- ``local_baseline``: a running median of a signal around each frame, excluding
  the frame itself, for adaptive (ratio-to-neighbourhood) thresholds;
- ``runs``: frame indices split into runs of consecutive frames (spans above a threshold).
"""

from __future__ import annotations

import cv2
import numpy as np


def hsv(frames: np.ndarray) -> np.ndarray:
    """[N, H*W*3] int16 HSV pixels (OpenCV ranges: H 0..179, S and V 0..255)."""
    strip = frames.reshape(-1, frames.shape[2], 3)  # one tall image: one cvtColor call
    return cv2.cvtColor(strip, cv2.COLOR_RGB2HSV).reshape(len(frames), -1).astype(np.int16)


def mean_abs_change(pixels: np.ndarray, lag: int = 1, dtype: type[np.floating] = np.float64, step: int = 256) -> np.ndarray:
    """[N] mean absolute difference between frame t and frame t - ``lag`` (0 for t < ``lag``).

    Computed ``step`` frames at a time, so a block of thousands of frames needs no
    difference arrays of its own size (the gateway's memory stays flat while it detects).
    """
    count = len(pixels)
    flat = pixels.reshape(count, -1)
    out: np.ndarray = np.zeros(count, dtype)
    for a in range(lag, count, step):
        b = min(count, a + step)
        out[a:b] = np.abs(flat[a:b].astype(np.int16) - flat[a - lag : b - lag]).mean(axis=1, dtype=dtype)
    return out


def change_at(pixels: np.ndarray, at: np.ndarray) -> np.ndarray:
    """[len(at)] float32 mean absolute difference between frames ``at`` and ``at - 1`` (all >= 1),
    the same figures ``mean_abs_change`` gives them: to update a few frames' change in place."""
    flat = pixels.reshape(len(pixels), -1)
    return np.abs(flat[at].astype(np.int16) - flat[at - 1]).mean(axis=1, dtype=np.float32)


def hsv_delta(frames: np.ndarray, pixels: np.ndarray | None = None) -> np.ndarray:
    """[N] content_val of each frame against the previous one (0 for frame 0)."""
    if len(frames) < 2:
        return np.zeros(len(frames), np.float32)
    return mean_abs_change(hsv(frames) if pixels is None else pixels, 1, np.float32)


def local_baseline(values: np.ndarray, radius: int) -> np.ndarray:
    """[N] median of ``values`` over t-radius..t+radius without t itself."""
    padded = np.pad(values, radius, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1)
    return np.median(np.delete(windows, radius, axis=1), axis=1).astype(np.float32)


def runs(index: np.ndarray) -> list[np.ndarray]:
    """Sorted frame indices split into runs of consecutive frames ([] for none)."""
    if not len(index):
        return []
    return np.split(index, np.flatnonzero(np.diff(index) > 1) + 1)
