"""The one label set of the product, its dataset mappings and score helpers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

LABELS: tuple[str, ...] = (
    "anger",
    "disgust",
    "fear",
    "happiness",
    "sadness",
    "surprise",
    "neutral",
)
NUM_LABELS = len(LABELS)

# Dataset label -> project label.
MELD = {
    "anger": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "joy": "happiness",
    "sadness": "sadness",
    "surprise": "surprise",
    "neutral": "neutral",
}
RAVDESS = {  # emotion code in the file name -> project label
    "01": "neutral",
    "02": "neutral",  # calm
    "03": "happiness",
    "04": "sadness",
    "05": "anger",
    "06": "fear",
    "07": "disgust",
    "08": "surprise",
}


def label_index(label: str) -> int:
    """Position of a project label in LABELS; ValueError for an unknown label."""
    return LABELS.index(label)


def scores_dict(probs: Sequence[float] | np.ndarray) -> dict[str, float]:
    """Map a length-7 probability vector onto the labels, rounded for JSON."""
    values = np.asarray(probs, dtype=np.float64).reshape(-1)
    if values.shape[0] != NUM_LABELS:
        raise ValueError(f"expected {NUM_LABELS} scores, got {values.shape[0]}")
    return {label: round(float(p), 6) for label, p in zip(LABELS, values, strict=True)}


def scores_vector(scores: Mapping[str, float]) -> np.ndarray:
    """Inverse of scores_dict: a float64 vector in label order (missing labels are 0)."""
    unknown = set(scores) - set(LABELS)
    if unknown:
        raise ValueError(f"unknown labels: {sorted(unknown)}")
    return np.array([float(scores.get(label, 0.0)) for label in LABELS], dtype=np.float64)


def top_label(probs: Sequence[float] | np.ndarray) -> str:
    """The label with the highest probability."""
    return LABELS[int(np.argmax(np.asarray(probs)))]
