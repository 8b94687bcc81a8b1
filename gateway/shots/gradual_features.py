"""Per-frame features that tell a gradual transition (dissolve, fade) from motion, for the learned gradual scorer.

Each frame ``t`` is described by how the picture around it changes at several
half-widths ``k`` (``SCALES``), on a 16x9 colour thumbnail (the 48x27 frame
averaged in 3x3 blocks: motion of a few pixels barely moves it):

- how much frame ``t + k`` differs from frame ``t - k``, and how "straight" that
  change is (direct difference over the sum of the frame-to-frame steps between:
  near 1 for a cross-fade and a cut, low for motion that goes back and forth);
- how much of that path is one single step (a cut puts it all in one);
- whether frame ``t`` lies on the straight line between ``t - k`` and ``t + k``
  (a cross-fade's frames are blends of its ends), and where on it;
- colour-histogram change between the ends (of the thumbnails; insensitive to motion);
- the dip of spatial contrast and of edge energy at ``t`` against the ends (a blend
  of two unrelated pictures has less of both than either; motion keeps them);
- everything relative to the typical step around ``t`` (footage with a lot of
  motion changes a lot without any transition).

All of it is vectorised over frames; well under 0.1 ms a frame on one core.
"""

from __future__ import annotations

import cv2
import numpy as np

SCALES = (2, 4, 8, 12, 18, 24)
CONTEXT = 32  # frames on each side for the typical step
BINS = 8  # histogram bins per RGB channel
_EPS = 1e-3


def thumbnails(frames: np.ndarray) -> np.ndarray:
    """[N, 432] float32: each 27x48 RGB frame averaged in 3x3 blocks (9x16x3)."""
    count, height, width, _ = frames.shape
    strip = frames.reshape(count * height, width, 3).astype(np.float32)  # one tall image: one resize call
    return cv2.resize(strip, (width // 3, count * height // 3), interpolation=cv2.INTER_AREA).reshape(count, -1)


def _histograms(thumbs: np.ndarray) -> np.ndarray:
    """[N, 3 * BINS] float32: per-channel histograms of the thumbnails, each summing to 1."""
    count = len(thumbs)
    pixels = thumbs.reshape(count, -1, 3)
    binned = np.minimum(pixels * (BINS / 256.0), BINS - 1).astype(np.int32)
    binned += np.arange(3, dtype=np.int32) * BINS + (np.arange(count, dtype=np.int32) * 3 * BINS)[:, None, None]
    counts = np.bincount(binned.ravel(), minlength=count * 3 * BINS).reshape(count, 3 * BINS)
    return (counts / pixels.shape[1]).astype(np.float32)


def _contrast_and_edges(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[N] spatial standard deviation of luma and [N] mean absolute luma gradient."""
    count, height, width, _ = frames.shape
    luma = cv2.cvtColor(frames.reshape(count * height, width, 3), cv2.COLOR_RGB2GRAY).reshape(count, height, width)
    signed = luma.astype(np.int16)
    edges = np.abs(np.diff(signed, axis=1)).mean(axis=(1, 2)) + np.abs(np.diff(signed, axis=2)).mean(axis=(1, 2))
    return luma.reshape(count, -1).std(axis=1).astype(np.float32), edges.astype(np.float32)


def _shift(values: np.ndarray, by: int) -> np.ndarray:
    """values[t + by] for every t, edge values repeated past either end."""
    index = np.clip(np.arange(len(values)) + by, 0, len(values) - 1)
    return values[index]


def _blend(thumbs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[N] direct change |t+k - t-k|, position alpha of t on that line and its residual off it."""
    before, after = _shift(thumbs, -k), _shift(thumbs, k)
    direction = after - before
    norm2 = np.maximum((direction * direction).sum(axis=1), _EPS)
    offset = thumbs - before
    alpha = (offset * direction).sum(axis=1) / norm2
    residual = np.sqrt(np.maximum((offset * offset).sum(axis=1) - alpha * alpha * norm2, 0.0) / norm2)
    change = np.abs(direction).mean(axis=1)
    return change, np.clip(alpha, -1.0, 2.0), np.minimum(residual, 3.0)


def frame_features(frames: np.ndarray) -> np.ndarray:
    """[N, F] float32 features of every frame of ``frames`` ([N, 27, 48, 3] uint8)."""
    count = len(frames)
    thumbs = thumbnails(frames)
    steps = np.zeros(count, np.float32)
    steps[1:] = np.abs(np.diff(thumbs, axis=0)).mean(axis=1)
    path = np.concatenate([[0.0], np.cumsum(steps, dtype=np.float64)])
    padded = np.pad(steps, CONTEXT, mode="edge")
    typical = np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * CONTEXT + 1), axis=1) + 0.5
    hist = _histograms(thumbs)
    contrast, edges = _contrast_and_edges(frames)
    columns = [np.log(typical), np.log1p(steps / typical), np.log1p(contrast), np.log1p(edges)]
    index = np.arange(count)
    for k in SCALES:
        change, alpha, residual = _blend(thumbs, k)
        lo, hi = np.clip(index - k, 0, count - 1), np.clip(index + k, 0, count - 1)
        travelled = np.maximum(path[hi + 1] - path[lo + 1], _EPS).astype(np.float32)
        largest = np.lib.stride_tricks.sliding_window_view(np.pad(steps, k, mode="edge"), 2 * k + 1).max(axis=1)
        hist_change = np.abs(_shift(hist, k) - _shift(hist, -k)).sum(axis=1) / 2
        ends_contrast = (_shift(contrast, -k) + _shift(contrast, k)) / 2 + 1.0
        ends_edges = (_shift(edges, -k) + _shift(edges, k)) / 2 + 0.1
        columns += [
            np.log1p(change),
            np.log1p(change / typical),
            change / travelled,
            largest / travelled,
            alpha,
            residual,
            hist_change,
            np.log((contrast + 1.0) / ends_contrast),
            np.log((edges + 0.1) / ends_edges),
        ]
    return np.stack(columns, axis=1).astype(np.float32)
