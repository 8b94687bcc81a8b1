"""Chromaticity change: how much two frames' colours differ, whatever their brightness.

Each pixel's chromaticity is its share of red and green in its R+G+B (brightness
drops out); a frame's 8x8 histogram of those shares says which colours it holds.
Two frames of one scene keep nearly the same histogram through a camera move (the
same things, framed differently) or a light change (every channel scaled alike),
while a dissolve to another shot changes it. The cascade uses this to send the
model sure-looking dissolves whose ends hold the same colours (``cascade.find_candidates``).
"""

from __future__ import annotations

import numpy as np

BINS = 8


def histogram(frame: np.ndarray) -> np.ndarray:
    """[BINS * BINS] share of ``frame``'s pixels ([H, W, 3] RGB) per (red, green) chromaticity bin."""
    rgb = frame.reshape(-1, 3).astype(np.float32) + 1.0  # +1: black pixels count as grey, not 0/0
    shares = rgb[:, :2] / rgb.sum(axis=1, keepdims=True)
    index = np.minimum((shares * BINS).astype(np.int64), BINS - 1)
    counts = np.bincount(index[:, 0] * BINS + index[:, 1], minlength=BINS * BINS)
    return counts / len(rgb)


def change(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation distance between the chromaticity histograms of frames ``a`` and ``b`` (0..1)."""
    return 0.5 * float(np.abs(histogram(a) - histogram(b)).sum())
