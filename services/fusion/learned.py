"""Learned fusers: save and load a scikit-learn model trained by ``training.fusion.train``.

A saved model is two files: ``NAME.joblib`` (the estimator) and ``NAME.json``
(metadata: kind, feature layout version, classes, cross-validated scores, and the
sha256 of the .joblib file). joblib files are pickles, so one is loaded only when
its sha256 matches the metadata written next to it by our own training command;
only load models you trained yourself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from emocore.errors import ModelNotReady
from emocore.labels import LABELS, NUM_LABELS
from services.fusion.features import FEATURES_VERSION


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def metadata_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def save(estimator: Any, model_path: Path, metadata: dict[str, Any]) -> None:
    """Write the estimator and its metadata (with the checksum) side by side."""
    model_path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(estimator, model_path)
    meta = {**metadata, "features_version": FEATURES_VERSION, "sha256": sha256_file(model_path)}
    metadata_path(model_path).write_text(json.dumps(meta, indent=2) + "\n")


@dataclass
class LearnedFuser:
    estimator: Any
    kind: str
    columns: np.ndarray  # position in LABELS of each estimator class

    @classmethod
    def load(cls, model_path: Path) -> LearnedFuser:
        """Load a saved fuser; ModelNotReady when files are missing, altered or incompatible."""
        meta_file = metadata_path(model_path)
        if not model_path.is_file() or not meta_file.is_file():
            raise ModelNotReady(f"learned fusion model {model_path} (and {meta_file.name}) not found")
        meta = json.loads(meta_file.read_text())
        if meta.get("features_version") != FEATURES_VERSION:
            raise ModelNotReady(
                f"{model_path} uses feature layout {meta.get('features_version')}, "
                f"this service needs {FEATURES_VERSION}; retrain it"
            )
        if sha256_file(model_path) != meta.get("sha256"):
            raise ModelNotReady(f"{model_path} does not match the sha256 in {meta_file.name}")
        estimator = joblib.load(model_path)
        classes = [str(c) for c in estimator.classes_]
        unknown = set(classes) - set(LABELS)
        if unknown:
            raise ModelNotReady(f"{model_path} predicts unknown labels {sorted(unknown)}")
        return cls(estimator, str(meta.get("kind", "learned")), np.array([LABELS.index(c) for c in classes]))

    def predict(self, features: np.ndarray) -> np.ndarray:
        """[N, features] -> [N, 7] probabilities in project label order."""
        proba = np.asarray(self.estimator.predict_proba(features), dtype=np.float64)
        out = np.zeros((len(features), NUM_LABELS))
        out[:, self.columns] = proba
        return out / out.sum(axis=1, keepdims=True)
