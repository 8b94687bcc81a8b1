"""Fades through black or white for the cascade's stage 1: runs of near-black (or near-white) frames
entered and left by a gradual ramp, the last frame before and the first after differing (a shot
that merely goes dark and comes back is not one). A dip to white is a fade through black mirrored
(the level's distance from white in place of its distance from black), with the same constants.

(Dissolves are the learned scorer's, ``gateway.shots.gradual_scorer``; flashes ``gateway.shots.flashes``.)
"""

from __future__ import annotations

import numpy as np

from gateway.shots.signal import runs

BLACK = 12.0  # mean RGB at or below which a frame is black (0..255); at or above 255 - BLACK, white
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


def flat_fades(frames: np.ndarray, reach: int = 24, min_change: float = 20.0) -> list[tuple[int, int, int]]:
    """(centre, first, last) of each fade through black or white: a run of black (white) frames, the
    picture dimming into it and brightening out of it (or the mirror) within ``reach`` frames, and
    the last frame before the fade differing from the first after it by at least ``min_change``
    (mean RGB)."""
    mean = frames.reshape(len(frames), -1).mean(axis=1)
    return sorted(_fades(frames, mean, reach, min_change) + _fades(frames, 255.0 - mean, reach, min_change))


def _fades(frames: np.ndarray, level: np.ndarray, reach: int, min_change: float) -> list[tuple[int, int, int]]:
    """``flat_fades`` through the flat colour that ``level`` (per frame) is the distance from."""
    count = len(frames)
    flat = np.flatnonzero(level <= BLACK)
    out: list[tuple[int, int, int]] = []
    for run in runs(flat):
        first, last = _ramp(level, int(run[0]), -1, reach), _ramp(level, int(run[-1]), 1, reach)
        if first == 0 or last == count - 1 or min(level[first], level[last]) <= 2 * BLACK:
            continue  # the video starts or ends in the flat colour, or the picture never came out of it
        before, after = frames[first].astype(np.int16), frames[last].astype(np.int16)
        if float(np.abs(before - after).mean()) >= min_change:
            out.append(((int(run[0]) + int(run[-1]) + 1) // 2, first + 1, last - 1))
    return out
