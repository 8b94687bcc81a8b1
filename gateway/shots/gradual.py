"""Fades through black for the cascade's stage 1: runs of near-black frames entered and left by a
gradual ramp, the last frame before and the first after differing (a shot that merely goes dark
and comes back is not one).

(Dissolves are the learned scorer's, ``gateway.shots.gradual_scorer``; flashes ``gateway.shots.flashes``.)
"""

from __future__ import annotations

import numpy as np

from gateway.shots.signal import runs

BLACK = 12.0  # mean RGB at or below which a frame is black (0..255)


def black_fades(frames: np.ndarray, reach: int = 24, min_change: float = 20.0) -> list[tuple[int, int, int]]:
    """(centre, first, last) of each fade through black: a run of black frames, the picture
    dimming into it and brightening out of it within ``reach`` frames, and the last frame before
    the fade differing from the first after it by at least ``min_change`` (mean RGB)."""
    count = len(frames)
    level = frames.reshape(count, -1).mean(axis=1)
    dark = np.flatnonzero(level <= BLACK)
    out: list[tuple[int, int, int]] = []
    for run in runs(dark):
        first, last = int(run[0]), int(run[-1])
        while first > 0 and first > run[0] - reach and level[first - 1] > level[first]:
            first -= 1
        while last + 1 < count and last < run[-1] + reach and level[last + 1] > level[last]:
            last += 1
        if first == 0 or last == count - 1 or min(level[first], level[last]) <= 2 * BLACK:
            continue  # the video starts or ends in black, or the picture never came out of it
        before, after = frames[first].astype(np.int16), frames[last].astype(np.int16)
        if float(np.abs(before - after).mean()) >= min_change:
            out.append(((int(run[0]) + int(run[-1]) + 1) // 2, first + 1, last - 1))
    return out
