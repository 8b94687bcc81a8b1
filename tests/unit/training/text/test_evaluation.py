"""Metrics of the text model's evaluation report (the figures the model card shows)."""

from __future__ import annotations

import pytest

from emocore.labels import LABELS, label_index
from training.text.evaluation import evaluate, to_markdown


def test_metrics_on_a_small_known_case() -> None:
    anger, joy, neutral = (label_index(x) for x in ("anger", "happiness", "neutral"))
    truth = [neutral, neutral, neutral, joy, joy, anger]
    predicted = [neutral, neutral, joy, joy, neutral, anger]
    result = evaluate(truth, predicted)
    assert result.accuracy == pytest.approx(4 / 6)
    assert result.f1[neutral] == pytest.approx(2 / 3)  # p = r = 2/3
    assert result.f1[joy] == pytest.approx(1 / 2)
    assert result.f1[anger] == pytest.approx(1.0)
    assert result.weighted_f1 == pytest.approx((3 * 2 / 3 + 2 * 0.5 + 1.0) / 6)
    # macro F1 averages over all seven labels; labels never seen count as 0
    assert result.macro_f1 == pytest.approx((2 / 3 + 0.5 + 1.0) / 7)
    assert result.confusion[joy].tolist()[neutral] == 1
    assert result.confusion.sum() == 6


def test_markdown_report_names_every_label_and_the_averages() -> None:
    text = to_markdown(evaluate([0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 4, 5, 5]))
    for label in LABELS:
        assert f"| {label} |" in text
    assert "weighted F1: 0.8095" in text  # five 1s, surprise 2/3, neutral 0; one line each
    assert "macro F1: 0.8095" in text
