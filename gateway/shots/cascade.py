"""Cascade: cheap signals over every frame, TransNetV2 only on short stretches around uncertain candidates.

Stage 1, every frame (vectorised, about 0.15 ms a frame; ``gateway.shots.gradual``):
- cut candidates: the HSV change against the previous frame (PySceneDetect's
  content score) is large and stands out from its neighbourhood (ratio to the
  median of the 16 frames around it), unless the picture returns within a few
  frames (a flash: no boundary there at all, not even from the model);
- sure cuts: candidates so large and isolated that the model is not needed;
- fades through black: a run of black frames between two different pictures is
  a sure boundary; no other boundary is taken inside it;
- gradual candidates: over ``2 * half`` and ``2 * long_half`` frames the picture
  changes a lot and almost "in a straight line" (as in a cross-fade); those whose
  frames lie on the line between its ends are sure dissolves, those far off it are
  dropped, the rest are uncertain.
Stage 2: uncertain cut candidates and gradual candidates are read by TransNetV2
through ``gateway.shots.packing`` (a few frames each, with ``margin`` frames of
real context, several per 100-frame window). There the model decides with its
usual threshold, lowered where stage 1 saw a gradual change (TransNetV2 at 0.5
misses many linear dissolves) or a strong cut candidate.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np

from emocore.inference import InferenceBackend
from gateway.shots import gradual, packing, signal, transnet
from gateway.shots.base import Boundary, check_frames


@dataclass(frozen=True)
class CascadeParams:
    cut_min: float = 12.0  # HSV change for a cut candidate ...
    cut_ratio: float = 2.5  # ... and its ratio to the neighbourhood median (+1)
    sure_cut: float = 20.0  # HSV change accepted without the model ...
    sure_ratio: float = 5.0  # ... with this ratio, when not a flash
    radius: int = 8  # neighbourhood of the median
    half: int = 4  # gradual signal: frames t-half .. t+half (short dissolves) ...
    long_half: int = 10  # ... and t-long_half .. t+long_half (long ones)
    gradual_change: float = 10.0  # mean absolute RGB difference between those ends ...
    gradual_linearity: float = 0.5  # ... over the sum of the steps between them
    fade_change: float = 28.0  # sure dissolve: change between the frames half+2 before and after ...
    fade_residual: float = 0.4  # ... and the frames between them off a linear blend of the two
    fade_reject: float = 0.5  # not a dissolve: blend residual at least this, or change < 15
    threshold: float = 0.5  # TransNetV2 threshold, elsewhere
    gradual_threshold: float = 0.1  # ... near gradual candidates
    cut_threshold: float = 0.15  # ... at cut candidates
    margin: int = 12  # real context on each side of what the model reads
    gradual_read: int = 3  # frames read on each side of a gradual candidate's centre
    batch_size: int = 4


@dataclass(frozen=True)
class Candidates:
    sure: list[int]  # first frames of new shots, accepted without the model
    cuts: np.ndarray  # uncertain cut candidates (first frame of the new shot)
    gradual: np.ndarray  # centres of uncertain gradual candidates
    fades: list[int]  # centres of sure dissolves, accepted without the model
    delta: np.ndarray  # [N] HSV change per frame
    black: list[tuple[int, int, int]] = field(default_factory=list)  # sure fades through black (centre, first, last)
    quiet: list[tuple[int, int]] = field(default_factory=list)  # spans where the model may not add a boundary


def _outside(values: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    keep = np.ones(len(values), bool)
    for a, b in spans:
        keep &= (values < a) | (values > b)
    return np.asarray(values)[keep]


def _dissolves(frames: np.ndarray, p: CascadeParams, sure_cuts: np.ndarray) -> tuple[list[int], np.ndarray]:
    """(sure dissolve centres, uncertain gradual centres) from both scales."""
    sure: list[int] = []
    unsure: list[int] = []
    for half in (p.half, p.long_half):
        centres = gradual.gradual_centres(frames, half, p.gradual_change, p.gradual_linearity)
        if len(sure_cuts) and len(centres):  # a cut's step also looks like a short "fade": the cut explains it
            centres = centres[np.abs(centres[:, None] - sure_cuts[None, :]).min(axis=1) > half + 2]
        for g in centres:
            if any(abs(int(g) - f) <= 2 * p.half for f in sure):
                continue
            verdict = gradual.fade_verdict(frames, int(g), half + 2, p.fade_change, p.fade_residual, p.fade_reject)
            if verdict is True:
                sure.append(int(g))
            elif verdict is None:
                unsure.append(int(g))
    unsure = [g for g in unsure if all(abs(g - f) > 2 * p.half for f in sure)]
    return sorted(sure), np.unique(np.asarray(unsure, int))


def find_candidates(frames: np.ndarray, p: CascadeParams) -> Candidates:
    """Stage 1 on every frame."""
    hsv = signal.hsv(frames)
    delta = signal.hsv_delta(frames, hsv)
    ratio = delta / (signal.local_baseline(delta, p.radius) + 1.0)
    cut = (delta >= p.cut_min) & (ratio >= p.cut_ratio)
    cut[0] = False
    index = np.flatnonzero(cut)
    flash = gradual.flashes(frames, index, delta)
    quiet = [(int(f) - 1, int(f) + 4) for f in index[flash]]
    black = gradual.black_fades(frames)
    quiet += [(first - 2, last + 2) for _, first, last in black]
    index = _outside(index[~flash], quiet)
    sure = (delta[index] >= p.sure_cut) & (ratio[index] >= p.sure_ratio)
    fades, centres = _dissolves(frames, p, index[sure])
    fades = [int(f) for f in _outside(np.asarray(fades, int), quiet)]
    return Candidates(
        [int(f) for f in index[sure]], index[~sure], _outside(centres, quiet), fades, delta, black, quiet
    )


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
        if any(a <= b.frame <= z for a, z in found.quiet):
            continue
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
    sure += [Boundary(centre, "gradual", 0.8, first, last) for centre, first, last in found.black]
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
