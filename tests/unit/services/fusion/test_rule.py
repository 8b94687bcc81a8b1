"""The default fusion rule: calibration, renormalised weights, explicit absence, needs_review."""

from __future__ import annotations

import numpy as np
import pytest

from emocore.labels import LABELS, scores_dict
from services.fusion.model import FusionModel
from services.fusion.rule import calibrate, js_divergence
from services.fusion.settings import FusionSettings


def dist(**mass: float) -> dict[str, float]:
    """Scores with the given labels' mass and the rest spread evenly."""
    rest = (1.0 - sum(mass.values())) / (len(LABELS) - len(mass))
    return {label: mass.get(label, rest) for label in LABELS}


@pytest.fixture
def model() -> FusionModel:
    settings = FusionSettings()
    return FusionModel(settings.weights(), settings.temperatures())


def test_default_weights_keep_the_thesis_text_face_ratio_without_audio() -> None:
    weights = FusionSettings().weights()
    assert weights["text"] / (weights["text"] + weights["face"]) == pytest.approx(0.7)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_agreeing_modalities_give_that_label_and_no_review(model: FusionModel) -> None:
    shot = {"face": dist(happiness=0.8), "text": dist(happiness=0.7), "audio": dist(happiness=0.6)}
    [fused] = model.fuse([shot])
    assert fused.label == "happiness"
    assert fused.needs_review is False
    assert fused.modalities_used == ["face", "text", "audio"]
    assert sum(fused.scores.values()) == pytest.approx(1.0, abs=1e-4)  # type: ignore[union-attr]


def test_weights_are_renormalised_over_present_modalities(model: FusionModel) -> None:
    face, text = dist(anger=0.9), dist(sadness=0.9)
    [fused] = model.fuse([{"face": face, "text": text, "audio": None}])
    expected = 0.3 * np.array(list(face.values())) + 0.7 * np.array(list(text.values()))
    assert fused.scores == pytest.approx(scores_dict(expected), abs=1e-5)
    assert fused.label == "sadness"  # text outweighs face 0.7 : 0.3
    assert fused.modalities_used == ["face", "text"]


def test_single_modality_passes_through(model: FusionModel) -> None:
    face = dist(surprise=0.5)
    [fused] = model.fuse([{"face": face}])
    assert fused.label == "surprise"
    assert fused.scores == pytest.approx(face, abs=1e-5)
    assert fused.needs_review is False


def test_no_modality_is_explicitly_nothing_not_neutral(model: FusionModel) -> None:
    [fused] = model.fuse([{"face": None, "text": None, "audio": None}])
    assert (fused.label, fused.scores, fused.modalities_used) == (None, None, [])
    assert fused.needs_review is False


def test_confident_disagreement_needs_review(model: FusionModel) -> None:
    [fused] = model.fuse([{"face": dist(happiness=0.8), "text": dist(anger=0.75)}])
    assert fused.needs_review is True
    assert "face says happiness" in (fused.review_reason or "")


def test_unsure_disagreement_does_not_need_review(model: FusionModel) -> None:
    [fused] = model.fuse([{"face": dist(happiness=0.3), "text": dist(anger=0.3)}])
    assert fused.needs_review is False


def test_divergence_alone_can_flag_a_shot() -> None:
    settings = FusionSettings()
    model = FusionModel(
        settings.weights(), settings.temperatures(), review_confidence=1.0, review_divergence=0.3
    )
    [fused] = model.fuse([{"face": dist(happiness=0.45, surprise=0.45), "text": dist(anger=0.45, fear=0.45)}])
    assert fused.needs_review is True
    assert "Jensen-Shannon" in (fused.review_reason or "")


def test_js_divergence_bounds() -> None:
    p = np.array([1.0, 0, 0, 0, 0, 0, 0])
    q = np.array([0, 1.0, 0, 0, 0, 0, 0])
    assert js_divergence(p, p) == pytest.approx(0.0)
    assert js_divergence(p, q) == pytest.approx(1.0)


def test_temperature_flattens_and_sharpens() -> None:
    p = np.array([0.7, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03])
    assert calibrate(p, 2.0).max() < 0.7 < calibrate(p, 0.5).max()
    assert calibrate(p, 2.0).argmax() == 0
    assert calibrate(p, 1.0) == pytest.approx(p)


def test_temperature_changes_which_modality_wins() -> None:
    # An over-confident face against a moderately sure text: cooling the face flips the result.
    shot = {"face": dist(anger=0.97), "text": dist(happiness=0.45)}
    plain = FusionModel({"face": 0.5, "text": 0.5, "audio": 0.0}, {"face": 1.0, "text": 1.0, "audio": 1.0})
    cooled = FusionModel({"face": 0.5, "text": 0.5, "audio": 0.0}, {"face": 4.0, "text": 1.0, "audio": 1.0})
    assert plain.fuse([shot])[0].label == "anger"
    assert cooled.fuse([shot])[0].label == "happiness"
