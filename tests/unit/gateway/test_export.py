"""gateway.export: a finished job's result (typed, ``gateway.results``) as CSV, one row per shot, read back with ``csv``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from emocore.labels import LABELS
from gateway.export import COLUMNS, result_csv
from gateway.results import JobResult

SCORES = {label: (0.4 if label == "happiness" else 0.1) for label in LABELS}
VIDEO = {"duration_s": 10.0, "fps": 30.0, "width": 352, "height": 288}


def shot(index: int, **parts: Any) -> dict[str, Any]:
    base = {"index": index, "start_s": index * 2.0, "end_s": index * 2.0 + 2.0,
            "start_frame": index * 60, "end_frame": index * 60 + 59, "transition": "cut", "confidence": 0.9,
            "face": None, "text": None, "audio": None, "fused": None}
    return {**base, **parts}


def csv_of(result: dict[str, Any]) -> str:
    return result_csv(JobResult.model_validate({"video": VIDEO, **result}))


def rows(result: dict[str, Any]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_of(result))))


def test_one_row_per_shot_with_the_top_labels_and_fused_scores() -> None:
    full = shot(
        0,
        face={"frames": 4, "frames_with_face": 3, "label": "happiness", "scores": SCORES, "aggregation": "mean"},
        text={"source": "subtitles", "lines": ["Hello there.", "Nice, isn't it?"], "label": "happiness",
              "scores": SCORES},
        audio={"speech": True, "label": "neutral", "scores": SCORES},
        fused={"label": "happiness", "scores": SCORES, "needs_review": False, "modalities_used": ["face", "text"]},
    )
    [row] = rows({"shots": [full]})
    assert list(row) == COLUMNS
    assert (row["index"], row["start_frame"], row["end_frame"]) == ("0", "0", "59")
    assert (row["face_label"], row["face_frames"], row["face_frames_with_face"]) == ("happiness", "4", "3")
    assert row["text"] == "Hello there. / Nice, isn't it?" and row["text_source"] == "subtitles"
    assert (row["audio_speech"], row["audio_label"]) == ("True", "neutral")
    assert (row["fused_label"], row["needs_review"], row["modalities_used"]) == ("happiness", "False", "face text")
    assert float(row["fused_happiness"]) == 0.4 and float(row["fused_anger"]) == 0.1
    assert row["errors"] == ""


def test_missing_modalities_are_empty_cells_and_errors_are_json() -> None:
    broken = shot(1, face=None, text=None, audio={"speech": False, "label": None, "scores": None}, fused=None,
                  errors={"face": "HTTP 503: model_not_ready", "fused": "circuit open"})
    [row] = rows({"shots": [broken]})
    assert row["face_label"] == row["text"] == row["fused_label"] == row["fused_neutral"] == ""
    assert row["audio_speech"] == "False" and row["audio_label"] == ""
    assert json.loads(row["errors"]) == {"face": "HTTP 503: model_not_ready", "fused": "circuit open"}


def test_a_result_without_shots_is_the_header_alone() -> None:
    assert csv_of({"shots": []}) == ",".join(COLUMNS) + "\r\n"  # RFC 4180 line ends


def test_text_with_commas_quotes_and_newlines_survives_the_round_trip() -> None:
    line = 'She said "no", then left.\nThe end'
    [row] = rows({"shots": [shot(0, text={"source": "asr", "lines": [line], "label": "sadness", "scores": SCORES})]})
    assert row["text"] == line
