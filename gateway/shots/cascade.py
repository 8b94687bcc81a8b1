"""Cascade: cheap signals over every frame, TransNetV2 only on short stretches around uncertain candidates.

Stage 1, every frame (vectorised, about 0.06 ms of CPU a frame; ``gateway.shots.gradual``, ``gradual_scorer``):
- flashes: a large change that the picture returns from within a few frames is a
  flash (``gateway.shots.flashes``), painted out before anything else reads the
  frames (the model included), so it is neither a boundary nor a veto on a
  dissolve it falls in;
- cut candidates: the HSV change against the previous frame (PySceneDetect's
  content score) is large and stands out from its neighbourhood (ratio to the
  median of the 16 frames around it);
- sure cuts: candidates so large and isolated that the model is not needed;
- fades through black (or white): a run of black (white) frames between two different
  pictures is a sure boundary; no other boundary is taken inside it;
- gradual candidates: spans of frames that the learned scorer
  (``gateway.shots.gradual_scorer``: a small MLP over multi-scale change, blend,
  histogram and contrast features of every frame) finds inside a dissolve or fade;
  confident ones are sure boundaries, unless their ends hold the same colours
  (``gateway.shots.chroma``: a camera move or light change does, a dissolve to
  another shot seldom), the rest are uncertain; a short span at a cut candidate is the
  cut's own step, read with it (the head may still find a short dissolve there);
- the span judge (``gateway.shots.span_judge``: boosted trees over a whole span's features)
  drops the uncertain gradual candidates it is sure are no transition (camera moves, light
  changes), before the model reads them, and sends the sure ones it doubts to the model: those
  it doubts most as uncertain candidates, the others only to be checked (a sure dissolve over
  which the model's gradual head stays low, as over a camera move, is dropped).
Stage 2: uncertain cut candidates and gradual candidates are read by TransNetV2
through ``gateway.shots.packing`` (a few frames around a cut, a gradual candidate's
whole span; each with ``margin`` frames of real context, several per window of at
most 100 frames). There the model decides with its usual threshold, lowered at cut
candidates; inside uncertain gradual spans its ``gradual`` head decides (ours, trained on
training footage: TransNetV2's own heads at 0.5 miss many dissolves, and lowered they
reject many more than the head; models/transnetv2.py), if it is convinced over the span
(sure somewhere in it and above its threshold on at least two frames, or above ``head_mean``
on average: a camera move it half-believes lifts it on a few frames only, or on one).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

import numpy as np

from emocore.inference import InferenceBackend
from gateway.shots import chroma, flashes, gradual, packing, signal, transnet
from gateway.shots.base import Boundary, check_frames
from gateway.shots.gradual_features import frame_features
from gateway.shots.gradual_scorer import GradualScorer, Span, default_scorer, spans
from gateway.shots.span_judge import SpanJudge, default_judge, span_rows


@dataclass(frozen=True)
class CascadeParams:
    cut_min: float = 12.0  # HSV change for a cut candidate ...
    cut_ratio: float = 2.5  # ... and its ratio to the neighbourhood median (+1)
    sure_cut: float = 20.0  # HSV change accepted without the model ...
    sure_ratio: float = 5.0  # ... with this ratio, when not a flash
    radius: int = 8  # neighbourhood of the median
    gradual_min: float = 0.5  # scorer probability a gradual candidate reaches ...
    gradual_low: float = 0.15  # ... the span around it stays above ...
    gradual_sure: float = 0.99  # ... and one accepted without the model reaches ...
    sure_frames: int = 4  # ... with at least this many frames at gradual_min or above ...
    sure_chroma: float = 0.1  # ... and this much chromaticity change between the frames around it
    fade_chroma: float = 0.15  # a span just beyond a fade through black needs this much: not the fade's own tail
    threshold: float = 0.5  # TransNetV2 threshold (single_frame), elsewhere ...
    cut_threshold: float = 0.1  # ... at cut candidates
    gradual_threshold: float = 0.5  # the gradual head's threshold, inside uncertain gradual candidates, ...
    head_sure: float = 0.95  # ... where the head must reach this somewhere ...
    head_frames: int = 2  # ... and gradual_threshold on this many frames, ...
    head_mean: float = 0.6  # ... or this on average over the candidate
    judge_drop: float = 0.1  # an uncertain gradual candidate the span judge gives less is dropped unread
    sure_judge: float = 0.8  # a sure dissolve the span judge gives less is read by the model as an uncertain one
    sure_check: float = 0.98  # a sure dissolve the judge gives less (but sure_judge or more) is read for a veto: ...
    head_veto: float = 0.5  # ... it is dropped when the gradual head stays below this over its whole span
    margin: int = 10  # real context on each side of what the model reads
    alone: int = 10  # a sure dissolve with no other candidate this near reads no cut candidate inside it (0.4 s at 25 fps; 0: all read)
    gradual_read: int = 3  # frames read at least on each side of a gradual candidate's peak (and its whole span)
    batch_size: int = 4


@dataclass(frozen=True)
class Candidates:
    sure: list[int]  # first frames of new shots, accepted without the model
    cuts: np.ndarray  # uncertain cut candidates (first frame of the new shot)
    gradual: list[Span]  # uncertain gradual candidates
    fades: list[Span]  # sure dissolves and fades, accepted without the model
    delta: np.ndarray  # [N] HSV change per frame
    frames: np.ndarray  # the video with its flashes painted out: what the scorer read and the model must read
    flat: list[tuple[int, int, int]] = field(default_factory=list)  # sure fades through black or white (centre, first, last)
    quiet: list[tuple[int, int]] = field(default_factory=list)  # those fades: no other boundary inside
    steps: list[Span] = field(default_factory=list)  # short gradual spans at uncertain cut candidates
    dropped: list[Span] = field(default_factory=list)  # uncertain gradual candidates the span judge dropped
    checked: list[Span] = field(default_factory=list)  # sure dissolves the model reads only to veto them


def in_quiet(count: int, quiet: list[tuple[int, int]]) -> np.ndarray:
    """[count] bool: which frames lie inside one of the ``quiet`` ranges (first, last; may pass the ends)."""
    mask = np.zeros(count, bool)
    for a, z in quiet:
        mask[max(a, 0) : z + 1] = True
    return mask


def _near(frames: np.ndarray, span: Span, reach: int = 3) -> bool:
    """Whether one of ``frames`` lies within ``reach`` frames of ``span``."""
    return bool(np.any((frames >= span.first - reach) & (frames <= span.last + reach)))


def _recoloured(span: Span, frames: np.ndarray, level: float) -> bool:
    """Whether the frames just before and after ``span`` hold other colours (``chroma`` change >= ``level``):
    a dissolve to another shot, not one scene moving, relit or dimmed."""
    before, after = frames[max(0, span.first - 3)], frames[min(len(frames) - 1, span.last + 3)]
    return chroma.change(before, after) >= level


def _gradual(
    probs: np.ndarray, frames: np.ndarray, p: CascadeParams, cuts: np.ndarray, sure: np.ndarray,
    in_fade: np.ndarray,
) -> tuple[list[Span], list[Span]]:
    """The scorer's spans outside the fades' quiet frames (``in_fade``, from ``in_quiet``): (gradual
    candidates, steps). A span is cut where a fade through black or white is: the part just before or after the
    fade is kept only if its ends hold other colours (a dissolve a few frames from the fade, which the
    scorer's span runs on into; not the fade's own dimming beyond where its ramp was found, whose dim
    end shifts the colours a little). A short span at a cut candidate is that cut's own step: at a sure
    cut nothing, at an uncertain one a step (a short dissolve whose last step is steep enough to be a
    cut candidate looks like that too)."""
    out: list[Span] = []
    steps: list[Span] = []
    for span in spans(np.where(in_fade, 0.0, probs), p.gradual_min, p.gradual_low):
        short = span.last - span.first < 6
        by_fade = bool(in_fade[max(span.first - 1, 0)] or in_fade[min(span.last + 1, len(probs) - 1)])
        if (short and _near(sure, span)) or (by_fade and not _recoloured(span, frames, p.fade_chroma)):
            continue
        (steps if short and _near(cuts, span) else out).append(span)
    return out, steps


def _sure(span: Span, frames: np.ndarray, p: CascadeParams) -> bool:
    """Confident enough to take without the model, and a change of colours (not one scene moving or relit)."""
    return span.score >= p.gradual_sure and span.core >= p.sure_frames and _recoloured(span, frames, p.sure_chroma)


def _cuts(delta: np.ndarray, p: CascadeParams) -> tuple[np.ndarray, np.ndarray]:
    """The HSV change's ratio to its neighbourhood, and the cut candidates (frame indices)."""
    ratio = delta / (signal.local_baseline(delta, p.radius) + 1.0)
    cut = (delta >= p.cut_min) & (ratio >= p.cut_ratio)
    cut[0] = False
    return ratio, np.flatnonzero(cut)


def without_flashes(frames: np.ndarray, p: CascadeParams) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``frames`` with every flash among the cut candidates painted out; the HSV change of the result,
    its ratio to the neighbourhood and the cut candidates. Only the painted frames are converted again."""
    hsv = signal.hsv(frames)
    delta = signal.hsv_delta(frames, hsv)
    ratio, index = _cuts(delta, p)
    ends = flashes.returns(hsv, index, delta)
    if not ends.any():
        return frames, delta, ratio, index
    starts, ends = index[ends > 0], ends[ends > 0]
    frames = flashes.painted_out(frames, starts, ends)
    painted = np.concatenate([np.arange(a, b) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)])
    hsv[painted] = signal.hsv(frames[painted])
    changed = np.union1d(painted, painted + 1)  # a painted frame's change, and the next frame's
    delta[changed] = signal.change_at(hsv, changed)
    ratio, index = _cuts(delta, p)
    return frames, delta, ratio, index


def scored_candidates(
    frames: np.ndarray, p: CascadeParams, scorer: GradualScorer | None = None
) -> tuple[Candidates, np.ndarray, np.ndarray]:
    """Stage 1 before the span judge: the candidates, and the scorer's features ([N, F]) and
    probabilities ([N]) of the frames (flashes painted out) they came from."""
    frames, delta, ratio, index = without_flashes(frames, p)
    flat = gradual.flat_fades(frames)
    quiet = [(first - 2, last + 2) for _, first, last in flat]
    in_fade = in_quiet(len(frames), quiet)
    index = index[~in_fade[index]]
    sure = (delta[index] >= p.sure_cut) & (ratio[index] >= p.sure_ratio)
    features = frame_features(frames)
    probs = (scorer or default_scorer()).score(features)
    taken: list[Span] = []
    uncertain: list[Span] = []
    cuts = index[~sure]
    found, steps = _gradual(probs, frames, p, cuts, index[sure], in_fade)
    for span in found:
        (taken if _sure(span, frames, p) else uncertain).append(span)
    candidates = Candidates([int(f) for f in index[sure]], cuts, uncertain, taken, delta, frames, flat, quiet, steps)
    return candidates, features, probs


def find_candidates(
    frames: np.ndarray, p: CascadeParams, scorer: GradualScorer | None = None, judge: SpanJudge | None = None
) -> Candidates:
    """Stage 1 on every frame (after painting out flashes), then the span judge: a sure dissolve it gives less
    than ``sure_check`` moves to ``checked`` (the model reads it, and may only veto it), less than ``sure_judge``
    becomes an uncertain candidate (the model reads it and decides), and an uncertain candidate it gives
    less than ``judge_drop`` moves to ``dropped``."""
    found, features, probs = scored_candidates(frames, p, scorer)
    spans = found.gradual + found.fades
    if not spans or max(p.judge_drop, p.sure_judge, p.sure_check) <= 0:
        return found
    rated = (judge or default_judge()).probabilities(span_rows(spans, found.frames, found.delta, probs, features))
    count = len(found.gradual)
    rated_sure = list(zip(found.fades, rated[count:], strict=True))
    doubted = [*zip(found.gradual, rated[:count], strict=True), *((s, q) for s, q in rated_sure if q < p.sure_judge)]
    doubted.sort(key=lambda pair: pair[0].first)
    return replace(
        found, fades=[s for s, q in rated_sure if q >= p.sure_check],
        checked=[s for s, q in rated_sure if p.sure_judge <= q < p.sure_check],
        gradual=[s for s, q in doubted if q >= p.judge_drop], dropped=[s for s, q in doubted if q < p.judge_drop],
    )


def span_values(values: np.ndarray, span: Span) -> np.ndarray:
    """``values`` ([N], a model output, NaN where not read) over ``span``'s frames, unread ones as 0."""
    return np.nan_to_num(values[span.first : span.last + 1], nan=0.0)


def _convinced(head: np.ndarray, p: CascadeParams) -> bool:
    """Whether the gradual head's values over an uncertain candidate may give a boundary: sure of it on one
    frame and above its threshold on another (a camera move it believes on one frame only is none), or
    above ``head_mean`` on average."""
    sure = head.max() >= p.head_sure and int((head >= p.gradual_threshold).sum()) >= p.head_frames
    return bool(sure or head.mean() >= p.head_mean)


def _steps(gradual: np.ndarray, found: Candidates, decided: list[Boundary], p: CascadeParams) -> list[Boundary]:
    """A boundary at the cut candidate of each step the gradual head is convinced of and passes its
    threshold in, where the model's boundaries have none (a short dissolve ending in a steep step,
    which ``single_frame`` misses). Only ever added, at the candidate: a step moves no boundary."""
    out = []
    for step in found.steps:
        head = span_values(gradual, step)
        at = int(found.cuts[np.abs(found.cuts - step.peak).argmin()])
        if head.max() < p.gradual_threshold or not _convinced(head, p):
            continue
        if not any(min(step.first, at) - 2 <= b.frame <= max(step.last, at) + 2 for b in decided):
            out.append(Boundary(at, "gradual", float(head.max()), step.first, step.last))
    return out


def _vetoed(gradual: np.ndarray, span: Span, p: CascadeParams) -> bool:
    """Whether the gradual head, read over a checked sure dissolve, stays below ``head_veto`` all over it
    (a span the model did not read, outside the frames whose boundaries are wanted, is not vetoed)."""
    read = bool(np.isfinite(gradual[span.first : span.last + 1]).any())
    return read and bool(span_values(gradual, span).max() < p.head_veto)


def decide(single: np.ndarray, gradual: np.ndarray, found: Candidates, p: CascadeParams) -> list[Boundary]:
    """The model's boundaries, plus the sure cuts and dissolves (a checked one unless vetoed): ``single``
    (its ``single_frame``) decides with per-frame thresholds, except inside uncertain gradual
    candidates, where ``gradual`` (its gradual head) does (both [N], NaN where not read); over a cut
    candidate's step either may.

    A model boundary within 2 frames of a cut candidate, or 3 of a sure cut, becomes a
    cut at the candidate's frame (the HSV step is exact); others near a gradual
    candidate are gradual.
    """
    threshold = np.full(len(single), p.threshold, np.float32)
    known = np.nan_to_num(single, nan=0.0)
    for span in found.gradual:
        head = span_values(gradual, span)
        threshold[span.first : span.last + 1] = p.gradual_threshold
        known[span.first : span.last + 1] = head if _convinced(head, p) else 0.0
    peaks = np.maximum(found.cuts - 1, 0)
    threshold[peaks] = np.minimum(threshold[peaks], p.cut_threshold)
    cuts = np.union1d(found.cuts, found.sure).astype(int)
    reach = np.where(np.isin(cuts, found.sure), 3, 2)  # a sure cut's step is the transition a model boundary saw
    decided: list[Boundary] = []
    for b in transnet.boundaries(known * (0.5 / threshold), 0.5):
        if any(a <= b.frame <= z for a, z in found.quiet):
            continue
        confidence = float(known[max(0, b.first - 1) : b.last + 1].max())
        near = cuts[np.abs(cuts - b.frame) <= reach]
        if len(near):
            frame = int(near[np.argmin(np.abs(near - b.frame))])
            if not any(d.frame == frame for d in decided):
                decided.append(Boundary.cut(frame, confidence))
        elif any(g.first - 2 <= b.frame <= g.last + 2 for g in found.gradual):
            decided.append(Boundary(b.frame, "gradual", confidence, min(b.first, b.frame), max(b.last, b.frame)))
        else:
            decided.append(Boundary(b.frame, b.kind, confidence, b.first, b.last))
    decided += _steps(gradual, found, decided, p)
    sure = [
        Boundary.cut(f, float(min(1.0, found.delta[f] / 60.0)))
        for f in found.sure
        if not any(abs(b.frame - f) <= 3 for b in decided)
    ]
    sure += [
        Boundary(g.peak, "gradual", g.score, g.first, g.last)
        for g in found.fades + [g for g in found.checked if not _vetoed(gradual, g, p)]
        if not any(g.first - 2 <= b.frame <= g.last + 2 for b in decided)
    ]
    sure += [Boundary(centre, "gradual", 0.8, first, last) for centre, first, last in found.flat]
    return sorted(decided + sure, key=lambda b: b.frame)


def _edges(found: Candidates) -> np.ndarray:
    """Every candidate's frames: the cuts, sure and uncertain, and the first and last frame of each span and fade."""
    spans = [(g.first, g.last) for g in found.gradual + found.fades + found.checked + found.steps]
    spans += [(first, last) for _, first, last in found.flat]
    return np.concatenate([np.asarray(found.sure, int), found.cuts.astype(int), np.asarray(spans, int).reshape(-1)])


def _lone(found: Candidates, room: int) -> list[Span]:
    """The sure dissolves that no other candidate's ``_edges`` come within ``room`` frames of (none when ``room`` is 0)."""
    if room <= 0 or not found.fades:
        return []
    edges = _edges(found)
    return [g for g in found.fades if not _near(edges[(edges < g.first) | (edges > g.last)], g, room)]


def reads(found: Candidates, p: CascadeParams, keep: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """Frame ranges the model must read: around each uncertain cut and gradual candidate that can
    give a boundary in ``keep`` (the frames whose boundaries are wanted; all when None). A cut candidate
    inside a sure dissolve's span is not read when no other candidate comes within ``p.alone`` frames of
    the span: it is the steep step of a short dissolve, which the dissolve stands for (``decide`` takes
    it at its peak). Beside another transition the model reads it: where it places that boundary
    decides whether both transitions keep a shot of the minimum length between them. With ``p.alone`` 0 every
    cut candidate is read."""
    lo, hi = keep if keep is not None else (-(2**31), 2**31)
    inside = _lone(found, p.alone)
    out = [
        (int(c) - 3, int(c) + 2) for c in found.cuts
        if lo - 3 <= c < hi + 3 and not any(g.first <= c <= g.last for g in inside)
    ]
    out += [  # the whole span, so the model sees both shots around a long dissolve
        (min(g.first, g.peak - p.gradual_read), max(g.last + 1, g.peak + p.gradual_read + 1))
        for g in found.gradual + found.steps + found.checked
        if g.last >= lo - 3 and g.first < hi + 3
    ]
    return out


class CascadeDetector:
    """Stage 1 everywhere, TransNetV2 on packed stretches around uncertain candidates."""

    name = "cascade"

    def __init__(
        self, backend: InferenceBackend, params: CascadeParams | None = None, scorer: GradualScorer | None = None
    ) -> None:
        self.backend = backend
        self.params = params or CascadeParams()
        self.scorer = scorer or default_scorer()
        self.last_frames_read = 0  # frames sent to the model for the last video (benchmarks)

    async def read(
        self, frames: np.ndarray, keep: tuple[int, int] | None = None
    ) -> tuple[Candidates, dict[str, np.ndarray]]:
        """Stage 1's candidates and the model's outputs ([N] each, NaN where not read) on what it reads."""
        check_frames(frames)
        p = self.params
        found = await asyncio.to_thread(find_candidates, frames, p, self.scorer)
        probs, self.last_frames_read = await packing.predict_reads(
            self.backend, found.frames, reads(found, p, keep), margin=p.margin, batch_size=p.batch_size,
            outputs=("single_frame", "gradual"),
        )
        return found, probs

    async def detect(self, frames: np.ndarray, fps: float, keep: tuple[int, int] | None = None) -> list[Boundary]:
        found, probs = await self.read(frames, keep)
        return decide(probs["single_frame"], probs["gradual"], found, self.params)

    async def close(self) -> None:
        await self.backend.close()
