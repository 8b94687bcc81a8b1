"""A job result as CSV: one row per shot (``gateway.results.ShotResult``), the top label and key scores of each modality.

Text cells come from uploaded subtitles and transcripts, so a cell a spreadsheet
would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return: OWASP's list) is prefixed with ``'``, which spreadsheets show as
text. Numbers are written as numbers (a negative score is never produced).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from emocore.labels import LABELS
from gateway.results import JobResult, Section, ShotResult

COLUMNS = [
    "index", "start_s", "end_s", "start_frame", "end_frame",
    "face_label", "face_frames", "face_frames_with_face",
    "text_source", "text_label", "text",
    "audio_speech", "audio_label",
    "fused_label", "needs_review", "modalities_used",
    *[f"fused_{label}" for label in LABELS],
    "errors",
]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A string cell made inert for spreadsheets; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _get(section: Section | None, key: str) -> Any:
    value = None if section is None else getattr(section, key, None)
    return "" if value is None else value


def shot_row(shot: ShotResult) -> dict[str, Any]:
    face, text, audio, fused = shot.face, shot.text, shot.audio, shot.fused
    scores = (fused.scores if fused else None) or {}
    return {
        "index": shot.index,
        "start_s": shot.start_s,
        "end_s": shot.end_s,
        "start_frame": shot.start_frame,
        "end_frame": shot.end_frame,
        "face_label": _get(face, "label"),
        "face_frames": _get(face, "frames"),
        "face_frames_with_face": _get(face, "frames_with_face"),
        "text_source": _get(text, "source"),
        "text_label": _get(text, "label"),
        "text": " / ".join(text.lines if text else []),
        "audio_speech": _get(audio, "speech"),
        "audio_label": _get(audio, "label"),
        "fused_label": _get(fused, "label"),
        "needs_review": _get(fused, "needs_review"),
        "modalities_used": " ".join(fused.modalities_used if fused else []),
        **{f"fused_{label}": scores.get(label, "") for label in LABELS},
        "errors": json.dumps(shot.errors) if shot.errors else "",
    }


def result_csv(result: JobResult) -> str:
    """CSV text (header + one row per shot) of a finished job's result."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")  # RFC 4180; quotes any CR or LF
    writer.writeheader()
    for shot in result.shots:
        writer.writerow({key: neutralise(value) for key, value in shot_row(shot).items()})
    return buffer.getvalue()
