"""The annotated-shots CSV that learned fusion is trained on.

Columns: ``video, face_anger .. face_neutral, text_anger .. text_neutral,
audio_anger .. audio_neutral, label`` (video: which video the shot comes from, so
that cross-validation keeps a video's shots together; label: one of the project
labels; other columns are ignored). A modality missing from a shot leaves its seven cells empty.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from emocore.labels import LABELS
from services.fusion.features import MODALITIES


def columns(modality: str) -> list[str]:
    """The CSV columns of one modality's scores, in label order."""
    return [f"{modality}_{label}" for label in LABELS]


def csv_header() -> list[str]:
    return ["video"] + [c for m in MODALITIES for c in columns(m)] + ["label"]


def parse_row(row: Mapping[str, str]) -> dict[str, np.ndarray]:
    """The present modalities of one CSV row (a modality with every cell empty is missing)."""
    vectors: dict[str, np.ndarray] = {}
    for modality in MODALITIES:
        cells = [(row.get(c) or "").strip() for c in columns(modality)]
        if not any(cells):
            continue
        if not all(cells):
            raise ValueError(f"{modality}: some score cells are empty, some are not")
        values = np.array([float(c) for c in cells], dtype=np.float64)
        if (values < 0).any() or values.sum() <= 0 or not np.isfinite(values).all():
            raise ValueError(f"{modality}: scores must be finite, >= 0 and not all 0")
        vectors[modality] = values / values.sum()
    return vectors
