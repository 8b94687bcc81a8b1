"""Cascade: cheap signals over every frame, TransNetV2 only on short stretches around uncertain candidates.

Stage 1, every frame (vectorised, well under 1 ms a frame):
- cut candidates: the HSV change against the previous frame (PySceneDetect's
  content score) is large and stands out from its neighbourhood (ratio to the
  median of the 16 frames around it);
- sure cuts: candidates so large and isolated that the model is not needed, and
  not a flash (the frame two after the change does not return to the one before);
- gradual candidates: over ``2 * half`` frames the picture changes a lot and almost
  "in a straight line" (the direct difference between the ends is close to the
  sum of the frame-to-frame differences, as in a cross-fade), at a local maximum.
Stage 2: uncertain cut candidates and gradual candidates are read by TransNetV2
through ``gateway.shots.packing`` (a few frames each, with ``margin`` frames of
real context, several per 100-frame window). There the model decides with its
usual threshold, lowered where stage 1 saw a gradual change (TransNetV2 at 0.5
misses many linear dissolves) or a strong cut candidate.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np

from emocore.inference import InferenceBackend
from gateway.shots import packing, signal, transnet
from gateway.shots.base import Boundary, check_frames


@dataclass(frozen=True)
class CascadeParams:
    cut_min: float = 12.0  # HSV change for a cut candidate ...
    cut_ratio: float = 2.5  # ... and its ratio to the neighbourhood median (+1)
    sure_cut: float = 30.0  # HSV change accepted without the model ...
    sure_ratio: float = 4.0  # ... with this ratio, when not a flash
    radius: int = 8  # neighbourhood of the median
    half: int = 4  # gradual signal: frames t-half .. t+half
    gradual_change: float = 10.0  # mean absolute RGB difference between those ends ...
    gradual_linearity: float = 0.5  # ... over the sum of the steps between them
    fade_change: float = 28.0  # sure dissolve: change between frames t-6 and t+6 ...
    fade_residual: float = 0.4  # ... and the frames between them off a linear blend of the two
    fade_reject: float = 0.45  # not a dissolve: blend residual at least this, or change < 15
    threshold: float = 0.5  # TransNetV2 threshold, elsewhere
    gradual_threshold: float = 0.2  # ... near gradual candidates
    cut_threshold: float = 0.15  # ... at cut candidates
    margin: int = 16  # real context on each side of what the model reads
    gradual_read: int = 5  # frames read on each side of a gradual candidate's centre
    batch_size: int = 4


@dataclass(frozen=True)
class Candidates:
    sure: list[int]  # first frames of new shots, accepted without the model
    cuts: np.ndarray  # uncertain cut candidates (first frame of the new shot)
    gradual: np.ndarray  # centres of uncertain gradual candidates
    fades: list[int]  # centres of sure dissolves, accepted without the model
    delta: np.ndarray  # [N] HSV change per frame


def _pair_delta(hsv: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(hsv[a] - hsv[b]).mean(axis=1)


def find_candidates(frames: np.ndarray, p: CascadeParams) -> Candidates:
    """Stage 1 on every frame."""
    count = len(frames)
    hsv = signal.hsv(frames)
    delta = signal.hsv_delta(frames, hsv)
    ratio = delta / (signal.local_baseline(delta, p.radius) + 1.0)
    cut = (delta >= p.cut_min) & (ratio >= p.cut_ratio)
    cut[0] = False
    index = np.flatnonzero(cut)
    before, after = np.maximum(index - 1, 0), np.minimum(index + 2, count - 1)
    flash = _pair_delta(hsv, before, after) < 0.5 * delta[index]
    sure = (delta[index] >= p.sure_cut) & (ratio[index] >= p.sure_ratio) & ~flash
    centres = gradual_centres(frames, p)
    sure_cuts = index[sure]
    if len(sure_cuts) and len(centres):  # a cut's step also looks like a short "fade": the cut explains it
        near = np.abs(centres[:, None] - sure_cuts[None, :]).min(axis=1) <= p.half + 2
        centres = centres[~near]
    verdicts = [fade_verdict(frames, int(g), p) for g in centres]
    fades = [int(g) for g, v in zip(centres, verdicts, strict=True) if v is True]
    gradual = np.asarray([g for g, v in zip(centres, verdicts, strict=True) if v is None], int)
    return Candidates([int(f) for f in sure_cuts], index[~sure], gradual, fades, delta)


def fade_verdict(frames: np.ndarray, centre: int, p: CascadeParams, reach: int = 6) -> bool | None:
    """True: surely a dissolve; False: surely not; None: ask the model.

    The frames between ``centre - reach`` and ``centre + reach`` are projected on the
    straight line between those two frames (a cross-fade lies on it); the residual is
    the largest distance off the line, relative to the distance between the ends.
    """
    a, b = max(0, centre - reach), min(len(frames) - 1, centre + reach)
    span = frames[a : b + 1].reshape(b - a + 1, -1).astype(np.float32)
    direction = span[-1] - span[0]
    norm = float(direction @ direction)
    change = float(np.abs(direction).mean())
    if change < 15.0 or norm <= 0.0:
        return False
    alpha = (span - span[0]) @ direction / norm
    residual = float(np.linalg.norm(span - span[0] - np.outer(alpha, direction), axis=1).max() / np.sqrt(norm))
    if residual >= p.fade_reject:
        return False
    if residual <= p.fade_residual and change >= p.fade_change:
        return True
    return None


def gradual_centres(frames: np.ndarray, p: CascadeParams) -> np.ndarray:
    """Local maxima of (change x linearity) over ``2 * half`` frames where both are high."""
    count, half = len(frames), p.half
    if count <= 2 * half:
        return np.zeros(0, int)
    steps = signal.mean_abs_change(frames, 1).cumsum()
    change = np.zeros(count, np.float32)
    change[half:-half] = signal.mean_abs_change(frames, 2 * half)[2 * half :]
    path = np.zeros(count, np.float32)
    path[half:-half] = steps[2 * half :] - steps[: -2 * half]
    linearity = change / np.maximum(path, 1e-6)
    score = np.where((change >= p.gradual_change) & (linearity >= p.gradual_linearity), change * linearity, 0.0)
    peak = np.lib.stride_tricks.sliding_window_view(np.pad(score, half), 2 * half + 1).max(axis=1)
    return np.flatnonzero((score > 0) & (score >= peak))


def decide(probs: np.ndarray, found: Candidates, p: CascadeParams) -> list[Boundary]:
    """The model's boundaries with per-frame thresholds, plus the sure cuts and dissolves.

    A model boundary within 2 frames of a cut candidate becomes a cut at the
    candidate's frame (the HSV step is exact); others near a gradual candidate are
    gradual.
    """
    threshold = np.full(len(probs), p.threshold, np.float32)
    for centre in found.gradual:
        threshold[max(0, centre - 2 * p.half) : centre + 2 * p.half + 1] = p.gradual_threshold
    peaks = np.maximum(found.cuts - 1, 0)
    threshold[peaks] = np.minimum(threshold[peaks], p.cut_threshold)
    known = np.nan_to_num(probs, nan=0.0)
    cuts = np.union1d(found.cuts, found.sure).astype(int)
    decided = []
    for b in transnet.boundaries(known * (0.5 / threshold), 0.5):
        confidence = float(known[max(0, b.first - 1) : b.last + 1].max())
        near = cuts[np.abs(cuts - b.frame) <= 2] if len(cuts) else cuts
        if len(near):
            decided.append(Boundary.cut(int(near[np.argmin(np.abs(near - b.frame))]), confidence))
        elif len(found.gradual) and np.abs(found.gradual - b.frame).min() <= 2 * p.half:
            decided.append(Boundary(b.frame, "gradual", confidence, min(b.first, b.frame), max(b.last, b.frame)))
        else:
            decided.append(Boundary(b.frame, b.kind, confidence, b.first, b.last))
    sure = [
        Boundary.cut(f, float(min(1.0, found.delta[f] / 60.0)))
        for f in found.sure
        if not any(abs(b.frame - f) <= 3 for b in decided)
    ]
    sure += [Boundary(g, "gradual", 0.7, g - p.half, g + p.half) for g in found.fades]
    return sorted(decided + sure, key=lambda b: b.frame)


def reads(found: Candidates, p: CascadeParams) -> list[tuple[int, int]]:
    """Frame ranges the model must read: around each uncertain cut and gradual candidate."""
    out = [(int(c) - 3, int(c) + 2) for c in found.cuts]
    out += [(int(g) - p.gradual_read, int(g) + p.gradual_read + 1) for g in found.gradual]
    return out


class CascadeDetector:
    """Stage 1 everywhere, TransNetV2 on packed stretches around uncertain candidates."""

    name = "cascade"

    def __init__(self, backend: InferenceBackend, params: CascadeParams | None = None) -> None:
        self.backend = backend
        self.params = params or CascadeParams()
        self.last_windows = 0  # windows sent to the model for the last video (benchmarks)

    async def detect(self, frames: np.ndarray, fps: float) -> list[Boundary]:
        check_frames(frames)
        p = self.params
        found = await asyncio.to_thread(find_candidates, frames, p)
        probs, self.last_windows = await packing.predict_reads(
            self.backend, frames, reads(found, p), margin=p.margin, batch_size=p.batch_size
        )
        return decide(probs, found, p)

    async def close(self) -> None:
        await self.backend.close()
