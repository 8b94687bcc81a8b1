"""Per-shot fusion: calibrate each modality's scores, combine them, flag disagreement.

No web imports. The default is the weighted-mean rule (services.fusion.rule); when a
learned model is loaded it replaces the combination step for shots with at least one
modality, while ``needs_review`` is still judged on the calibrated modality scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from emocore.labels import LABELS, scores_dict, scores_vector, top_label
from services.fusion.features import MODALITIES, feature_vector
from services.fusion.learned import LearnedFuser
from services.fusion.rule import calibrate, review, weighted_mean

ShotScores = Mapping[str, Mapping[str, float] | None]


@dataclass(frozen=True)
class Fused:
    label: str | None
    scores: dict[str, float] | None
    needs_review: bool
    review_reason: str | None
    modalities_used: list[str]
    method: str

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "scores": self.scores,
            "needs_review": self.needs_review,
            "review_reason": self.review_reason,
            "modalities_used": self.modalities_used,
            "method": self.method,
        }


class FusionModel:
    """The configured rule (weights, temperatures, review thresholds), optionally learned."""

    def __init__(
        self,
        weights: Mapping[str, float],
        temperatures: Mapping[str, float],
        *,
        review_confidence: float = 0.5,
        review_divergence: float = 0.5,
        learned: LearnedFuser | None = None,
    ) -> None:
        missing = set(MODALITIES) - set(weights) | set(MODALITIES) - set(temperatures)
        if missing:
            raise ValueError(f"weights and temperatures needed for {sorted(missing)}")
        self.weights = dict(weights)
        self.temperatures = dict(temperatures)
        self.review_confidence = review_confidence
        self.review_divergence = review_divergence
        self.learned = learned

    @property
    def method(self) -> str:
        return f"learned:{self.learned.kind}" if self.learned else "rule"

    def calibrated(self, shot: ShotScores) -> dict[str, np.ndarray]:
        """The present modalities' score vectors, normalised and temperature-scaled."""
        vectors = {}
        for modality in MODALITIES:
            scores = shot.get(modality)
            if scores is not None:
                vector = scores_vector(scores)
                vectors[modality] = calibrate(vector / vector.sum(), self.temperatures[modality])
        return vectors

    def rule(self, vectors: Mapping[str, np.ndarray]) -> np.ndarray:
        return weighted_mean(vectors, self.weights)

    def fuse(self, shots: Sequence[ShotScores]) -> list[Fused]:
        """One fused judgement per shot, in order."""
        calibrated = [self.calibrated(shot) for shot in shots]
        present = [i for i, vectors in enumerate(calibrated) if vectors]
        fused: dict[int, np.ndarray] = {}
        if self.learned and present:
            features = np.stack([feature_vector(calibrated[i]) for i in present])
            fused = dict(zip(present, self.learned.predict(features), strict=True))
        else:
            fused = {i: self.rule(calibrated[i]) for i in present}
        results = []
        for i, vectors in enumerate(calibrated):
            if not vectors:
                results.append(Fused(None, None, False, None, [], self.method))
                continue
            check = review(
                vectors,
                LABELS,
                confidence=self.review_confidence,
                divergence=self.review_divergence,
            )
            results.append(
                Fused(
                    top_label(fused[i]),
                    scores_dict(fused[i]),
                    check.needed,
                    check.reason,
                    [m for m in MODALITIES if m in vectors],
                    self.method,
                )
            )
        return results
