"""The learned gradual-transition scorer: per-frame probability of being inside a dissolve or fade, and its spans.

The average of a few one-hidden-layer MLPs over ``gateway.shots.gradual_features``, fitted
alike but from different seeds (one MLP's verdicts move with its seed; their average is
steadier), trained by ``python -m training.shots.gradual`` (data, licence and figures in
models/cards/gradual_scorer.md) and evaluated in numpy: about ten thousand multiply-adds a
frame, so the cascade can afford it on every frame. ``spans`` turns the probabilities
into candidate transitions: runs of frames above a low threshold that reach a
higher one, each with its peak.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from gateway.shots.gradual_features import frame_features
from gateway.shots.signal import runs

WEIGHTS = Path(__file__).with_suffix(".npz")  # next to this module: the gateway image copies gateway/


@dataclass(frozen=True)
class GradualScorer:
    mean: np.ndarray  # [F] standardisation shared by the members
    scale: np.ndarray  # [F]
    w1: np.ndarray  # [M, F, H] hidden layer of each of M members
    b1: np.ndarray  # [M, H]
    w2: np.ndarray  # [M, H] output layer
    b2: np.ndarray  # [M]

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> GradualScorer:
        with np.load(path) as stored:
            return cls(*(stored[name] for name in ("mean", "scale", "w1", "b1", "w2", "b2")))

    def probabilities(self, frames: np.ndarray) -> np.ndarray:
        """[N] float32 probability that each frame of ``frames`` ([N, 27, 48, 3]) is inside a gradual transition."""
        if len(frames) == 0:
            return np.zeros(0, np.float32)
        return self.score(frame_features(frames))

    def score(self, features: np.ndarray) -> np.ndarray:
        """[N] float32 probabilities of [N, F] feature rows: the members' forward passes, averaged."""
        standard = (features - self.mean) / self.scale
        hidden = np.maximum(np.einsum("nf,mfh->mnh", standard, self.w1) + self.b1[:, None, :], 0.0)
        logits = np.einsum("mnh,mh->mn", hidden, self.w2) + self.b2[:, None]
        return (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).mean(axis=0).astype(np.float32)


@lru_cache(maxsize=1)
def default_scorer() -> GradualScorer:
    """The shipped scorer, loaded once per process."""
    return GradualScorer.load()


@dataclass(frozen=True)
class Span:
    first: int
    last: int
    peak: int  # frame of the highest probability
    score: float  # that probability
    core: int  # frames at or above the detection threshold


def spans(probs: np.ndarray, threshold: float, low: float, min_core: int = 2) -> list[Span]:
    """Runs of frames with probability >= ``low`` that have at least ``min_core`` frames at
    ``threshold`` or above (hysteresis: a dip inside one long dissolve does not split it in two;
    a lone frame is noise)."""
    above = np.flatnonzero(probs >= low)
    out: list[Span] = []
    for run in runs(above):
        peak = int(run[np.argmax(probs[run])])
        core = int((probs[run] >= threshold).sum())
        if core >= min_core:
            out.append(Span(int(run[0]), int(run[-1]), peak, float(probs[peak]), core))
    return out
