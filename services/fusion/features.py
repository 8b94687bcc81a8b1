"""The feature layout of learned fusion, shared by serving and training (``training.fusion``).

Feature vector: per modality (face, text, audio) its seven calibrated scores
followed by a presence flag (1 present, 0 missing, scores then 0): 24 numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from emocore.labels import NUM_LABELS

MODALITIES: tuple[str, ...] = ("face", "text", "audio")
FEATURES_VERSION = 1
NUM_FEATURES = len(MODALITIES) * (NUM_LABELS + 1)


def feature_vector(vectors: Mapping[str, np.ndarray]) -> np.ndarray:
    """Features of one shot from its present modalities' (calibrated) score vectors."""
    parts = []
    for modality in MODALITIES:
        vector = vectors.get(modality)
        if vector is None:
            parts.append(np.zeros(NUM_LABELS + 1))
        else:
            parts.append(np.concatenate([np.asarray(vector, dtype=np.float64), [1.0]]))
    return np.concatenate(parts)
