"""Is a gradual candidate a transition at all? The cascade's learned judge of the scorer's spans.

The gradual scorer (``gradual_scorer``) rates frames; on footage where the camera moves or
the light changes many of its spans are no transition, and each such uncertain span costs
TransNetV2 reads (on the tuning camera family two spans in three were false). The judge
rates a whole span from what stage 1 already has: the span's shape in the scorer's
probabilities, how the colours, brightness and HSV change run across it and around it,
how well its frames lie on the straight blend between its ends, and the scorer's own
features at its peak and on average over it. A boosted tree ensemble (trained by
``python -m training.shots.span_judge`` on composed videos of training footage only,
card ``models/cards/span_judge.md``) evaluated here in numpy; the cascade drops an
uncertain span the judge gives less than ``CascadeParams.judge_drop`` before the model
reads it, has the model read a sure span it gives less than ``CascadeParams.sure_judge`` as an
uncertain one, and one it gives less than ``CascadeParams.sure_check`` to check it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from gateway.shots import chroma
from gateway.shots.gradual_features import thumbnails
from gateway.shots.gradual_scorer import Span

WEIGHTS = Path(__file__).with_suffix(".npz")  # next to this module: the gateway image copies gateway/
ENDS = 3  # the frames this far before and after a span are its ends
AROUND = 16  # frames on each side for the typical HSV change around a span
OWN = 23  # features of the span itself (``span_features``), before the scorer's at its peak and on average


def _blend_fit(thumbs: np.ndarray) -> list[float]:
    """How the span's frames (``thumbs`` = its ends and everything between) lie on the straight
    blend between its ends: residual off it (largest, mean), direct change over the path travelled,
    how steadily the position along it grows, and its lowest and highest position."""
    start, end = thumbs[0].astype(np.float64), thumbs[-1].astype(np.float64)
    direction = end - start
    norm2 = max(float((direction * direction).sum()), 1e-3)
    offsets = thumbs[ENDS:-ENDS].astype(np.float64) - start
    alpha = offsets @ direction / norm2
    residual = np.sqrt(np.maximum((offsets * offsets).sum(axis=1) - alpha**2 * norm2, 0.0) / norm2)
    travelled = np.abs(np.diff(thumbs.astype(np.float64), axis=0)).mean(axis=1).sum()
    steady = float(np.corrcoef(np.arange(len(alpha)), alpha)[0, 1]) if len(alpha) > 2 and alpha.std() > 0 else 0.0
    return [
        float(residual.max()), float(residual.mean()), float(np.abs(direction).mean() / max(travelled, 1e-3)),
        steady, float(alpha.min()), float(alpha.max()),
    ]


def _gain(before: np.ndarray, after: np.ndarray) -> list[float]:
    """The per-channel brightness gain between the span's ends (mean, largest, spread of its log) and
    how much of their difference that gain leaves unexplained (a light change leaves little)."""
    gain = (after.reshape(-1, 3).mean(axis=0) + 1.0) / (before.reshape(-1, 3).mean(axis=0) + 1.0)
    a, b = before.astype(np.float64), after.astype(np.float64)
    left = np.abs(b - a * gain).mean() / (np.abs(b - a).mean() + 1.0)
    log = np.log(gain)
    return [float(log.mean()), float(np.abs(log).max()), float(log.std()), float(left)]


def span_features(
    span: Span, frames: np.ndarray, delta: np.ndarray, probs: np.ndarray, features: np.ndarray
) -> np.ndarray:
    """[OWN + 2F] float32 features of ``span`` from stage 1's arrays over the whole video: ``frames``
    ([N, 27, 48, 3], flashes painted out), ``delta`` (HSV change), ``probs`` (scorer) and
    ``features`` ([N, F], the scorer's input)."""
    count = len(frames)
    first, last = span.first, span.last
    before, after = max(0, first - ENDS), min(count - 1, last + ENDS)
    inside = probs[first : last + 1]
    change = delta[first : last + 2]
    around = np.concatenate([delta[max(0, first - AROUND) : first], delta[last + 2 : last + 2 + AROUND]])
    typical = float(np.median(around)) if len(around) else 0.0
    index = np.clip(np.arange(first - ENDS, last + ENDS + 1), 0, count - 1)  # ends repeated past the video's edges
    own = [
        last - first + 1, span.core, span.score, float(inside.mean()), float((inside >= 0.9).mean()),
        chroma.change(frames[before], frames[after]),
        chroma.change(frames[max(0, first - 1)], frames[min(count - 1, last + 1)]),
        chroma.change(frames[max(0, first - 6)], frames[min(count - 1, last + 6)]),
        float(change.max()), float(change.mean()), typical, float(change.mean() / (typical + 1.0)),
        float(change.max() / (change.sum() + 1e-3)),
        *_blend_fit(thumbnails(frames[index])),
        *_gain(frames[before], frames[after]),
    ]
    row = np.concatenate([own, features[span.peak], features[first : last + 1].mean(axis=0)])
    return np.nan_to_num(row).astype(np.float32)


def span_rows(
    spans: list[Span], frames: np.ndarray, delta: np.ndarray, probs: np.ndarray, features: np.ndarray
) -> np.ndarray:
    """[S, OWN + 2F] ``span_features`` of each of ``spans`` (the judge's input)."""
    if not spans:
        return np.zeros((0, OWN + 2 * features.shape[1]), np.float32)
    return np.stack([span_features(span, frames, delta, probs, features) for span in spans])


@dataclass(frozen=True)
class SpanJudge:
    """Boosted regression trees on span features, each tree's nodes in one row of the arrays
    (padded): feature and threshold of a split (go left when the value is at most the threshold),
    its children, and a leaf's value; the log-odds are ``base`` plus the leaves reached."""

    feature: np.ndarray  # [T, M] int
    threshold: np.ndarray  # [T, M] float
    left: np.ndarray  # [T, M] int
    right: np.ndarray  # [T, M] int
    value: np.ndarray  # [T, M] float, leaves only
    leaf: np.ndarray  # [T, M] bool
    base: float

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> SpanJudge:
        with np.load(path) as stored:
            return cls(
                stored["feature"], stored["threshold"], stored["left"], stored["right"], stored["value"],
                stored["leaf"], float(stored["base"]),
            )

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """[S] probability that each span (a row of ``span_features``) is a gradual transition."""
        if len(rows) == 0:
            return np.zeros(0, np.float32)
        trees = np.arange(len(self.feature))[:, None]
        node = np.zeros((len(self.feature), len(rows)), np.int64)
        spans = np.arange(len(rows))[None, :]
        while not self.leaf[trees, node].all():
            value = rows[spans, self.feature[trees, node]]
            step = np.where(value <= self.threshold[trees, node], self.left[trees, node], self.right[trees, node])
            node = np.where(self.leaf[trees, node], node, step)
        logits = self.base + self.value[trees, node].sum(axis=0)
        return (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)


@lru_cache(maxsize=1)
def default_judge() -> SpanJudge:
    """The shipped judge, loaded once per process."""
    return SpanJudge.load()
