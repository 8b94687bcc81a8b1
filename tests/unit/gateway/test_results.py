"""gateway.results: typed shot results keep exactly what the pipeline set, nulls included, nothing added."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from gateway.results import JobResult, ShotResult

NOTHING_TO_JUDGE: dict[str, Any] = {  # a shot of music without a face, a word or speech
    "index": 3, "start_frame": 100, "end_frame": 149, "start_s": 4.0, "end_s": 6.0,
    "transition": "cut", "confidence": 0.91,
    "face": {"frames": 4, "frames_with_face": 0, "label": None, "scores": None, "aggregation": "mean"},
    "text": {"source": "asr", "lines": [], "label": None, "scores": None},
    "audio": {"speech": False, "label": None, "scores": None, "speech_s": 0.0},
    "fused": {"label": None, "scores": None, "needs_review": True, "review_reason": "no modality",
              "modalities_used": [], "method": "rule"},
}


def test_a_shot_round_trips_unchanged() -> None:
    assert ShotResult.model_validate(NOTHING_TO_JUDGE).dump() == NOTHING_TO_JUDGE


def test_a_modality_that_could_not_run_is_null_with_its_reason() -> None:
    shot = {**NOTHING_TO_JUDGE, "face": None, "fused": None, "errors": {"face": "timed out", "fused": "circuit open"}}
    dumped = ShotResult.model_validate(shot).dump()
    assert dumped["face"] is None and dumped["fused"] is None and dumped["errors"] == shot["errors"]


def test_the_final_result_has_no_partial_flag_and_a_bad_shot_is_refused() -> None:
    result = JobResult.model_validate({"video": {"duration_s": 6.0, "fps": 25.0, "width": 64, "height": 48},
                                       "shots": [NOTHING_TO_JUDGE]}).dump()
    assert "partial" not in result and result["shots"] == [NOTHING_TO_JUDGE]
    with pytest.raises(ValidationError):
        ShotResult.model_validate({**NOTHING_TO_JUDGE, "transition": "wipe"})
