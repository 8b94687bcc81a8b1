"""Per-shot aggregation of per-frame emotion scores (the reference thesis's three rules).

- ``mean``: average of the per-frame probability vectors.
- ``max_pooling``: per-label maximum over frames, renormalised to sum to 1.
- ``max_count``: each frame votes for its top label; scores are the vote shares.

Frames without a face are passed as ``None``: they count in ``frames`` but never
contribute scores. A shot with no face at all yields label and scores ``None``
("no face"), never a made-up neutral.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from emocore.labels import NUM_LABELS, scores_dict, top_label

Rule = Literal["mean", "max_pooling", "max_count"]
RULES: tuple[Rule, ...] = ("mean", "max_pooling", "max_count")


@dataclass(frozen=True)
class Aggregate:
    frames: int
    frames_with_face: int
    label: str | None
    scores: dict[str, float] | None
    aggregation: Rule

    def as_dict(self) -> dict[str, object]:
        return {
            "frames": self.frames,
            "frames_with_face": self.frames_with_face,
            "label": self.label,
            "scores": self.scores,
            "aggregation": self.aggregation,
        }


def pool(vectors: np.ndarray, rule: Rule) -> np.ndarray:
    """Combine an [N, 7] array of probability vectors (N >= 1) into one vector."""
    if vectors.ndim != 2 or vectors.shape[1] != NUM_LABELS or vectors.shape[0] == 0:
        raise ValueError(f"expected a non-empty [N, {NUM_LABELS}] array, got {vectors.shape}")
    if rule == "mean":
        pooled = vectors.mean(axis=0)
    elif rule == "max_pooling":
        pooled = vectors.max(axis=0)
    elif rule == "max_count":
        pooled = np.bincount(vectors.argmax(axis=1), minlength=NUM_LABELS).astype(np.float64)
    else:
        raise ValueError(f"unknown aggregation rule {rule!r}; choose one of {RULES}")
    return pooled / pooled.sum()


def aggregate(per_frame: Sequence[Sequence[float] | np.ndarray | None], rule: Rule = "mean") -> Aggregate:
    """Aggregate per-frame scores (None = no face in that frame) into a shot result."""
    present = [np.asarray(v, dtype=np.float64) for v in per_frame if v is not None]
    if not present:
        return Aggregate(len(per_frame), 0, None, None, rule)
    pooled = pool(np.stack(present), rule)
    return Aggregate(len(per_frame), len(present), top_label(pooled), scores_dict(pooled), rule)
