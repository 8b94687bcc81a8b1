"""Fades through black for the cascade's stage 1: runs of near-black frames entered and left by a
gradual ramp, the last frame before and the first after differing (a shot that merely goes dark
and comes back is not one).

(Dissolves are the learned scorer's, ``gateway.shots.gradual_scorer``; flashes ``gateway.shots.flashes``.)
"""

from __future__ import annotations

import numpy as np

from gateway.shots.signal import runs

BLACK = 12.0  # mean RGB at or below which a frame is black (0..255)
RAMP_SHARE = 0.25  # a ramp's step is at least this share of its steepest: a scene slowly darkening before it is no part of it


def _ramp(level: np.ndarray, edge: int, direction: int, reach: int) -> int:
    """The outer end of the ramp from a black run's ``edge`` frame (``direction`` -1: the fade out
    before it, +1: the fade in after it): the picture brightening away from the black, each step at
    least ``RAMP_SHARE`` of the steepest so far, within ``reach`` frames of the edge."""
    at, steepest = edge, 0.0
    while 0 <= at + direction < len(level) and abs(at - edge) < reach:
        rise = float(level[at + direction] - level[at])
        if rise <= 0 or rise < RAMP_SHARE * steepest:
            break
        steepest = max(steepest, rise)
        at += direction
    return at


def black_fades(frames: np.ndarray, reach: int = 24, min_change: float = 20.0) -> list[tuple[int, int, int]]:
    """(centre, first, last) of each fade through black: a run of black frames, the picture
    dimming into it and brightening out of it within ``reach`` frames, and the last frame before
    the fade differing from the first after it by at least ``min_change`` (mean RGB)."""
    count = len(frames)
    level = frames.reshape(count, -1).mean(axis=1)
    dark = np.flatnonzero(level <= BLACK)
    out: list[tuple[int, int, int]] = []
    for run in runs(dark):
        first, last = _ramp(level, int(run[0]), -1, reach), _ramp(level, int(run[-1]), 1, reach)
        if first == 0 or last == count - 1 or min(level[first], level[last]) <= 2 * BLACK:
            continue  # the video starts or ends in black, or the picture never came out of it
        before, after = frames[first].astype(np.int16), frames[last].astype(np.int16)
        if float(np.abs(before - after).mean()) >= min_change:
            out.append(((int(run[0]) + int(run[-1]) + 1) // 2, first + 1, last - 1))
    return out
