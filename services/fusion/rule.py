"""The default fusion rule and the review check, as pure functions on probability vectors.

- Calibration: ``p_T = softmax(log p / T)`` per modality (T = 1 leaves scores as they are;
  T > 1 flattens an over-confident model, T < 1 sharpens).
- Fusion: weighted mean of the calibrated vectors; the weights are renormalised over
  the modalities present, so a missing modality neither counts as neutral nor shrinks
  the result.
- Review: a shot needs review when the modalities present disagree: two of them have
  different top labels, each with probability >= ``confidence``; or the Jensen-Shannon
  divergence (base 2, 0 = same, 1 = disjoint) of some pair is >= ``divergence``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

import numpy as np

EPS = 1e-12


def calibrate(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature-scale a probability vector (treated as softmax of its log)."""
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    if temperature == 1.0:
        return probs / probs.sum()
    logits = np.log(np.clip(probs, EPS, None)) / temperature
    exp = np.exp(logits - logits.max())
    return exp / exp.sum()


def weighted_mean(vectors: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Weighted mean over the modalities given, weights renormalised over them."""
    if not vectors:
        raise ValueError("no modality to fuse")
    total = sum(weights[m] for m in vectors)
    if total <= 0:
        raise ValueError(f"the weights of {sorted(vectors)} sum to {total}; nothing to fuse")
    fused = sum(weights[m] / total * v for m, v in vectors.items())
    fused = np.asarray(fused, dtype=np.float64)
    return fused / fused.sum()


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits: 0 for equal distributions, 1 for disjoint ones."""
    m = 0.5 * (p + q)

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / np.clip(b[mask], EPS, None))))

    return max(0.0, 0.5 * kl(p, m) + 0.5 * kl(q, m))


@dataclass(frozen=True)
class Review:
    needed: bool
    reason: str | None


def review(vectors: Mapping[str, np.ndarray], labels: tuple[str, ...], *, confidence: float, divergence: float) -> Review:
    """Whether the modalities present disagree enough for a person to look at the shot."""
    for (m1, p), (m2, q) in combinations(sorted(vectors.items()), 2):
        i, j = int(np.argmax(p)), int(np.argmax(q))
        if i != j and p[i] >= confidence and q[j] >= confidence:
            return Review(
                True,
                f"{m1} says {labels[i]} ({p[i]:.2f}) but {m2} says {labels[j]} ({q[j]:.2f})",
            )
        jsd = js_divergence(p, q)
        if jsd >= divergence:
            return Review(True, f"{m1} and {m2} diverge (Jensen-Shannon {jsd:.2f} bits)")
    return Review(False, None)
