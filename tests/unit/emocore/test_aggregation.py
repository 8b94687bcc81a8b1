"""Per-shot aggregation rules: mean, max-pooling, max-count and the explicit 'no face'."""

from __future__ import annotations

import numpy as np
import pytest

from emocore.aggregation import aggregate, pool
from emocore.labels import LABELS

HAPPY = np.array([0.0, 0.0, 0.0, 0.7, 0.0, 0.0, 0.3])
SAD = np.array([0.0, 0.0, 0.0, 0.0, 0.6, 0.0, 0.4])
NEUTRAL = np.array([0.0, 0.0, 0.0, 0.1, 0.0, 0.0, 0.9])


def test_no_face_in_any_frame_is_explicit_not_neutral() -> None:
    result = aggregate([None, None, None])
    assert result.frames == 3
    assert result.frames_with_face == 0
    assert result.label is None and result.scores is None


def test_frames_without_face_do_not_dilute_scores() -> None:
    result = aggregate([HAPPY, None, None], "mean")
    assert result.label == "happiness"
    assert result.frames_with_face == 1
    assert result.scores is not None
    assert result.scores["happiness"] == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("mean", "neutral"), ("max_pooling", "neutral"), ("max_count", "neutral")],
)
def test_rules_agree_on_a_clear_majority(rule: str, expected: str) -> None:
    assert aggregate([NEUTRAL, NEUTRAL, HAPPY], rule).label == expected  # type: ignore[arg-type]


def test_rules_differ_where_the_thesis_says_they_do() -> None:
    # One very happy frame among mildly neutral ones: max-pooling follows the peak,
    # max-count follows the majority.
    frames = np.stack([HAPPY * 0 + [0, 0, 0, 0.95, 0, 0, 0.05]] + [[0, 0, 0, 0.45, 0, 0, 0.55]] * 3)
    assert aggregate(list(frames), "max_pooling").label == "happiness"
    assert aggregate(list(frames), "max_count").label == "neutral"


@pytest.mark.parametrize("rule", ["mean", "max_pooling", "max_count"])
def test_pooled_scores_are_a_distribution(rule: str) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.dirichlet(np.ones(len(LABELS)), size=5)
    pooled = pool(vectors, rule)  # type: ignore[arg-type]
    assert pooled.sum() == pytest.approx(1.0)
    assert (pooled >= 0).all()


def test_unknown_rule_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown aggregation rule"):
        pool(np.stack([HAPPY]), "median")  # type: ignore[arg-type]
