"""From boundaries to shots: minimum and maximum shot length, frame times.

Shots tile the video: shot k runs from its boundary frame to the frame before the
next boundary. Then, in this order (docs/shots.md):
1. Merge: while some shot is shorter than ``min_shot_s`` (and there is more than
   one shot), the shortest one loses its less confident boundary (the first shot
   its end, the last shot its start), i.e. it joins that neighbour.
2. Split: a shot longer than ``max_shot_s`` (a long static take) is divided into
   equal parts no longer than the maximum, each starting with a "split" transition
   (confidence 0).
Times come from per-frame timestamps when given (variable frame rate), else from
``fps``; a shot's ``end_s`` is the start time of the frame after its last one (for the
last frame: its start plus the gap before it).
"""

from __future__ import annotations

import math

import numpy as np

from gateway.shots.base import Boundary, Shot, Transition


def _merge_short(bounds: list[Boundary], count: int, min_frames: int) -> list[Boundary]:
    bounds = list(bounds)
    while bounds:
        edges = [0] + [b.frame for b in bounds] + [count]
        lengths = np.diff(edges)
        shortest = int(np.argmin(lengths))
        if lengths[shortest] >= min_frames:
            break
        if shortest == 0:
            drop = 0
        elif shortest == len(bounds):
            drop = shortest - 1
        else:
            before, after = bounds[shortest - 1], bounds[shortest]
            drop = shortest - 1 if before.confidence < after.confidence else shortest
        del bounds[drop]
    return bounds


def _frame_times(count: int, fps: float, timestamps: np.ndarray | None) -> np.ndarray:
    """[count + 1] start time of each frame, then the end of the last one."""
    if timestamps is None or len(timestamps) != count:
        return np.arange(count + 1, dtype=np.float64) / fps
    step = float(timestamps[-1] - timestamps[-2]) if count > 1 else 1.0 / fps
    return np.append(np.asarray(timestamps, np.float64), float(timestamps[-1]) + step)


def build_shots(
    bounds: list[Boundary],
    count: int,
    fps: float,
    *,
    timestamps: np.ndarray | None = None,
    min_shot_s: float = 0.5,
    max_shot_s: float = 120.0,
) -> list[Shot]:
    """Shots covering frames 0..count-1 from sorted, de-duplicated boundaries."""
    if count <= 0:
        return []
    valid = sorted({b.frame: b for b in bounds if 0 < b.frame < count}.values(), key=lambda b: b.frame)
    valid = _merge_short(valid, count, max(1, round(min_shot_s * fps)))
    starts: list[tuple[int, Transition, float]] = [(0, "start", 1.0)]
    starts += [(b.frame, b.kind, b.confidence) for b in valid]
    max_frames = max(1, math.floor(max_shot_s * fps))
    ends = [s[0] for s in starts[1:]] + [count]
    split: list[tuple[int, Transition, float]] = []
    for (start, kind, confidence), end in zip(starts, ends, strict=True):
        split.append((start, kind, confidence))
        parts = math.ceil((end - start) / max_frames)
        split += [(start + round(i * (end - start) / parts), "split", 0.0) for i in range(1, parts)]
    times = _frame_times(count, fps, timestamps)
    ends = [s[0] for s in split[1:]] + [count]
    return [
        Shot(i, start, end - 1, float(times[start]), float(times[end]), kind, confidence)
        for i, ((start, kind, confidence), end) in enumerate(zip(split, ends, strict=True))
    ]
