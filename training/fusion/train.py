"""Fit learned fusers on annotated shots and compare them with the default rule.

    python -m training.fusion.train SHOTS.csv [--out models/artifacts/fusion/fusion.joblib]

The CSV layout is in training.fusion.dataset (per-modality score columns, empty
cells for a missing modality, and the gold ``label``). Logistic regression, a
random forest and a small MLP are scored by cross-validated macro F1 next to the
default rule on the same folds, the folds grouped by video (a video's shots share
faces, voices and scenes, so they never sit on both sides of a split) and
stratified by label as far as the grouping allows; the best learned model (or the
one asked for with ``--choose``) is refitted on all rows and saved with its
metadata. Point ``EMO_FUSION_LEARNED_MODEL`` at the .joblib file to serve it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.neural_network import MLPClassifier

from emocore.labels import LABELS, top_label
from services.fusion import learned
from services.fusion.features import feature_vector
from services.fusion.model import FusionModel
from services.fusion.settings import FusionSettings
from training.fusion.dataset import parse_row

DEFAULT_OUT = Path("models/artifacts/fusion/fusion.joblib")


def candidates(seed: int) -> dict[str, Any]:
    return {
        "logistic_regression": LogisticRegression(max_iter=2000, C=1.0),
        "random_forest": RandomForestClassifier(
            n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=1
        ),
        "mlp": MLPClassifier(hidden_layer_sizes=(32,), alpha=1e-3, max_iter=1000, random_state=seed),
    }


def load_csv(path: Path, rule: FusionModel) -> tuple[list[dict[str, np.ndarray]], np.ndarray, np.ndarray, np.ndarray]:
    """Calibrated modality vectors, feature matrix, gold labels and video of every row."""
    shots, features, labels, videos = [], [], [], []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            label = (row.get("label") or "").strip()
            if label not in LABELS:
                raise SystemExit(f"{path}:{line}: label {label!r} is not one of {list(LABELS)}")
            video = (row.get("video") or "").strip()
            if not video:
                raise SystemExit(f"{path}:{line}: no video (the column that keeps a video's shots in one fold)")
            try:
                raw = parse_row(row)
            except ValueError as exc:
                raise SystemExit(f"{path}:{line}: {exc}") from exc
            if not raw:
                raise SystemExit(f"{path}:{line}: no modality has scores")
            vectors = rule.calibrated({m: dict(zip(LABELS, v, strict=True)) for m, v in raw.items()})
            shots.append(vectors)
            features.append(feature_vector(vectors))
            labels.append(label)
            videos.append(video)
    if len(set(labels)) < 2:
        raise SystemExit(f"{path}: need at least two different labels, got {sorted(set(labels))}")
    if len(set(videos)) < 2:
        raise SystemExit(f"{path}: need shots of at least two videos to cross-validate, got {sorted(set(videos))}")
    return shots, np.stack(features), np.array(labels), np.array(videos)


def video_folds(y: np.ndarray, videos: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs; every video's shots on one side only, labels stratified where possible."""
    splits = StratifiedGroupKFold(n_splits=max(2, min(folds, len(set(videos)))), shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a label rarer than the folds: stratified as far as it goes
        return list(splits.split(np.zeros(len(y)), y, videos))


def evaluate(path: Path, folds: int, seed: int) -> tuple[dict[str, float], np.ndarray, np.ndarray, dict[str, Any]]:
    """Mean cross-validated macro F1 of the rule and of each learned candidate."""
    settings = FusionSettings()
    rule = FusionModel(settings.weights(), settings.temperatures())
    shots, x, y, videos = load_csv(path, rule)
    rule_pred = np.array([top_label(rule.rule(vectors)) for vectors in shots])
    models = candidates(seed)
    scores: dict[str, list[float]] = {"default_rule": [], **{name: [] for name in models}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # small MLP on small data
        for train_idx, test_idx in video_folds(y, videos, folds, seed):
            scores["default_rule"].append(_f1(y[test_idx], rule_pred[test_idx]))
            for name, model in models.items():
                fitted = clone(model).fit(x[train_idx], y[train_idx])
                scores[name].append(_f1(y[test_idx], fitted.predict(x[test_idx])))
    return {name: float(np.mean(v)) for name, v in scores.items()}, x, y, models


def _f1(gold: np.ndarray, pred: np.ndarray) -> float:
    return float(f1_score(gold, pred, labels=sorted(set(gold)), average="macro", zero_division=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", type=Path, help="annotated shots (see training/fusion/dataset.py)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to save the .joblib")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--choose", choices=["best", "logistic_regression", "random_forest", "mlp"], default="best"
    )
    args = parser.parse_args(argv)
    scores, x, y, models = evaluate(args.csv, args.folds, args.seed)
    learned_scores = {k: v for k, v in scores.items() if k != "default_rule"}
    chosen = max(learned_scores, key=learned_scores.__getitem__) if args.choose == "best" else args.choose
    print(f"{len(y)} shots, {len(set(y))} labels, cross-validated macro F1 ({args.folds} folds grouped by video):")
    print("| fuser | macro F1 |\n| --- | --- |")
    for name, value in scores.items():
        print(f"| {name}{' (chosen)' if name == chosen else ''} | {value:.3f} |")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = clone(models[chosen]).fit(x, y)
    metadata = {
        "kind": chosen,
        "trained_on": str(args.csv),
        "shots": len(y),
        "classes": [str(c) for c in estimator.classes_],
        "cv_macro_f1": scores,
        "beats_default_rule": scores[chosen] > scores["default_rule"],
    }
    learned.save(estimator, args.out, metadata)
    print(f"saved {chosen} to {args.out} (+ {learned.metadata_path(args.out).name})")
    if not metadata["beats_default_rule"]:
        print("note: the default rule scores at least as well; keep serving the rule")
    print(json.dumps({"chosen": chosen, "cv_macro_f1": scores}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
