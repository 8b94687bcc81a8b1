"""From boundaries to shots: minimum and maximum shot length, frame times.

Shots tile the video: shot k runs from its boundary frame to the frame before the
next boundary. Then, in this order (docs/shots.md):
1. Make room: a gradual boundary closer than ``min_shot_s`` to a cut that lies more than
   ``NEAR`` frames outside its span, and that the detector gives at least ``ROOM_CONFIDENCE``,
   moves inside its span, away from the cut, to just the minimum, if the shot on its other
   side stays at least that long (a cut's frame is exact, a dissolve's may be any frame of
   it: two transitions, both kept; a less likely cut there may be the dissolve's own step
   or a look-alike, and is left to the merge).
2. Merge: while some shot is shorter than ``min_shot_s`` (and there is more than
   one shot), the shortest one loses its less confident boundary (the first shot
   its end, the last shot its start), i.e. it joins that neighbour.
3. Split: a shot longer than ``max_shot_s`` (a long static take) is divided into
   equal parts no longer than the maximum, each starting with a "split" transition
   (confidence 0).
Times come from per-frame timestamps when given (variable frame rate), else from
``fps``; a shot's ``end_s`` is the start time of the frame after its last one (for the
last frame: its start plus the gap before it).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import replace

import numpy as np

from gateway.shots.base import Boundary, Shot, Transition

MIN_SHOT_S = 0.4  # default minimum: 0.5 merged real shots of 10-12 frames (quick cutting, dense dissolves)
MAX_SHOT_S = 120.0  # default maximum
NEAR = 3  # a cut this close to a gradual span is that transition's own step (as in the cascade), not another
ROOM_CONFIDENCE = 0.5  # a cut that makes room for itself beside a dissolve is at least as likely as not


def _likely_cut(bound: Boundary) -> bool:
    """A cut that may make room for itself beside a dissolve (step 1)."""
    return bound.kind == "cut" and bound.confidence >= ROOM_CONFIDENCE


def _make_room(bounds: list[Boundary], count: int, min_frames: int) -> list[Boundary]:
    """Step 1 of the module doc: gradual boundaries moved inside their spans, away from a cut too close."""
    out = list(bounds)
    for i in range(len(out) - 1):
        left, right = out[i], out[i + 1]
        if right.frame - left.frame >= min_frames:
            continue
        if left.kind == "gradual" and _likely_cut(right) and left.last + NEAR < right.frame:
            frame, before = right.frame - min_frames, out[i - 1].frame if i > 0 else 0
            if frame >= left.first and frame - before >= min_frames:
                out[i] = replace(left, frame=frame)
        elif _likely_cut(left) and right.kind == "gradual" and right.first - NEAR > left.frame:
            frame, after = left.frame + min_frames, out[i + 2].frame if i + 2 < len(out) else count
            if frame <= right.last and after - frame >= min_frames:
                out[i + 1] = replace(right, frame=frame)
    return out


def _merge_short(bounds: list[Boundary], count: int, min_frames: int) -> list[Boundary]:
    """Steps 1 and 2 of the module doc on sorted boundaries of a ``count``-frame stretch."""
    bounds = _make_room(bounds, count, min_frames)
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
    min_shot_s: float = MIN_SHOT_S,
    max_shot_s: float = MAX_SHOT_S,
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


class ShotTimeline:
    """``build_shots`` for a stream: boundaries come in as a detector settles them, final shots go out.

    A boundary whose shots on both sides are at least ``min_shot_s`` long is never
    merged away (merging only lengthens shots), so the boundaries between two such
    *stable* boundaries can be merged and split on their own: what comes out is
    exactly what ``build_shots`` gives over the whole video. Keeps the frame times
    (8 bytes a frame) and the boundaries after the last stable one.
    """

    def __init__(self, fps: float, *, min_shot_s: float = MIN_SHOT_S, max_shot_s: float = MAX_SHOT_S) -> None:
        self.fps = fps
        self.min_frames = max(1, round(min_shot_s * fps))
        self.max_frames = max(1, math.floor(max_shot_s * fps))
        self.times = array("d")
        self.start: tuple[int, Transition, float] = (0, "start", 1.0)  # where the open stretch begins
        self.pending: dict[int, Boundary] = {}
        self.emitted = 0

    def add_times(self, times: np.ndarray) -> None:
        self.times.frombytes(np.asarray(times, np.float64).tobytes())

    def push(self, bounds: list[Boundary], settled: int) -> list[Shot]:
        """Add boundaries (all of them before ``settled`` are known); the shots now final."""
        for b in bounds:
            if b.frame > self.start[0]:
                self.pending[b.frame] = b
        ordered = sorted(self.pending.values(), key=lambda b: b.frame)
        edges = [self.start[0]] + [b.frame for b in ordered]
        stable = None
        for i, b in enumerate(ordered):
            after = ordered[i + 1].frame if i + 1 < len(ordered) else settled
            if b.frame - edges[i] >= self.min_frames and after - b.frame >= self.min_frames:
                stable = i
        if stable is None:
            return []
        cut = ordered[stable]
        shots = self._shots(ordered[:stable], cut.frame, final=False)
        self.start = (cut.frame, cut.kind, cut.confidence)
        self.pending = {b.frame: b for b in ordered[stable + 1 :]}
        return shots

    def finish(self) -> list[Shot]:
        """The remaining shots, once every frame and boundary is in."""
        ordered = [b for b in sorted(self.pending.values(), key=lambda b: b.frame) if b.frame < len(self.times)]
        return self._shots(ordered, len(self.times), final=True) if len(self.times) > self.start[0] else []

    def _shots(self, bounds: list[Boundary], end: int, *, final: bool) -> list[Shot]:
        first = self.start[0]
        shifted = [Boundary(b.frame - first, b.kind, b.confidence, b.first - first, b.last - first) for b in bounds]
        kept = _merge_short(shifted, end - first, self.min_frames)
        starts = [self.start] + [(b.frame + first, b.kind, b.confidence) for b in kept]
        ends = [s[0] for s in starts[1:]] + [end]
        split: list[tuple[int, Transition, float]] = []
        for (start, kind, confidence), stop in zip(starts, ends, strict=True):
            split.append((start, kind, confidence))
            parts = math.ceil((stop - start) / self.max_frames)
            split += [(start + round(i * (stop - start) / parts), "split", 0.0) for i in range(1, parts)]
        stops = [s[0] for s in split[1:]] + [end]
        shots = []
        for (start, kind, confidence), stop in zip(split, stops, strict=True):
            shots.append(Shot(self.emitted, start, stop - 1, self.times[start], self._time(stop), kind, confidence))
            self.emitted += 1
        return shots

    def _time(self, frame: int) -> float:
        if frame < len(self.times):
            return self.times[frame]
        step = self.times[-1] - self.times[-2] if len(self.times) > 1 else 1.0 / self.fps
        return self.times[-1] + step
