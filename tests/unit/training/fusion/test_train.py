"""Learned fusion training on a generated CSV, and loading what it saved.

We have no real annotated shot corpus here, so the CSV is synthetic: a gold label
per shot and per-modality scores drawn around it with different reliabilities and
random missing modalities. It checks the command's mechanics (CSV parsing, CV
report, model + metadata saved, service-side loading), not real-world accuracy.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from emocore.errors import ModelNotReady
from emocore.labels import LABELS
from services.fusion.features import MODALITIES
from services.fusion.learned import LearnedFuser
from services.fusion.model import FusionModel
from services.fusion.settings import FusionSettings
from training.fusion import train
from training.fusion.dataset import columns, csv_header

RELIABILITY = {"face": 0.55, "text": 0.8, "audio": 0.35}
PRESENT = {"face": 0.7, "text": 0.85, "audio": 0.9}


def write_shots_csv(path: Path, n: int = 240, seed: int = 0, shots_per_video: int = 8) -> None:
    rng = np.random.default_rng(seed)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=csv_header())
        writer.writeheader()
        for shot in range(n):
            gold = int(rng.integers(len(LABELS)))
            row: dict[str, object] = {"label": LABELS[gold], "video": f"video-{shot // shots_per_video:03d}"}
            present = [m for m in MODALITIES if rng.random() < PRESENT[m]] or ["text"]
            for modality in present:
                peak = gold if rng.random() < RELIABILITY[modality] else int(rng.integers(len(LABELS)))
                alpha = np.ones(len(LABELS))
                alpha[peak] = 6.0
                row.update(zip(columns(modality), np.round(rng.dirichlet(alpha), 5), strict=True))
            writer.writerow(row)


@pytest.mark.slow
def test_train_reports_cv_f1_and_saves_a_loadable_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "shots.csv"
    write_shots_csv(data)
    out = tmp_path / "fusion.joblib"
    assert train.main([str(data), "--out", str(out), "--folds", "3"]) == 0
    printed = capsys.readouterr().out
    for name in ("default_rule", "logistic_regression", "random_forest", "mlp"):
        assert f"| {name}" in printed
    summary = json.loads(printed.strip().splitlines()[-1])
    assert all(0.0 <= f1 <= 1.0 for f1 in summary["cv_macro_f1"].values())
    assert summary["cv_macro_f1"]["default_rule"] > 0.4  # well above chance (1/7) on this data
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["kind"] == summary["chosen"] and meta["shots"] == 240

    fuser = LearnedFuser.load(out)
    settings = FusionSettings()
    model = FusionModel(settings.weights(), settings.temperatures(), learned=fuser)
    happy = {label: (0.9 if label == "happiness" else 0.1 / 6) for label in LABELS}
    [fused, empty] = model.fuse([{"text": happy, "face": happy}, {}])
    assert fused.label == "happiness" and fused.method == f"learned:{meta['kind']}"
    assert sum(fused.scores.values()) == pytest.approx(1.0, abs=1e-4)  # type: ignore[union-attr]
    assert empty.label is None


def test_altered_model_file_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "shots.csv"
    write_shots_csv(data, n=60)
    out = tmp_path / "m.joblib"
    train.main([str(data), "--out", str(out), "--folds", "2", "--choose", "logistic_regression"])
    with out.open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ModelNotReady, match="sha256"):
        LearnedFuser.load(out)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("partial", "some score cells are empty"),
        ("label", "is not one of"),
        ("video", "no video"),
    ],
)
def test_bad_csv_rows_are_reported_with_their_line(tmp_path: Path, row: str, message: str) -> None:
    data = tmp_path / "bad.csv"
    header = csv_header()
    if row == "partial":
        cells = ["v1", "0.5", "0.5", "", "", "", "", ""] + [""] * 14 + ["happiness"]
    elif row == "label":
        cells = ["v1"] + ["0.2"] * 7 + [""] * 14 + ["joy"]
    else:
        cells = [""] + ["0.2"] * 7 + [""] * 14 + ["happiness"]
    data.write_text(",".join(header) + "\n" + ",".join(cells) + "\n")
    with pytest.raises(SystemExit, match=message):
        train.main([str(data), "--out", str(tmp_path / "x.joblib")])


def test_cross_validation_never_splits_a_video(tmp_path: Path) -> None:
    data = tmp_path / "shots.csv"
    write_shots_csv(data, n=120, shots_per_video=6)
    settings = FusionSettings()
    _, _, y, videos = train.load_csv(data, FusionModel(settings.weights(), settings.temperatures()))
    folds = train.video_folds(y, videos, 5, seed=0)
    assert len(folds) == 5
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(120))  # every shot tested exactly once
    for fit, test in folds:
        assert not set(videos[fit]) & set(videos[test])


def test_a_single_video_cannot_be_cross_validated(tmp_path: Path) -> None:
    data = tmp_path / "shots.csv"
    write_shots_csv(data, n=30, shots_per_video=30)
    with pytest.raises(SystemExit, match="at least two videos"):
        train.main([str(data), "--out", str(tmp_path / "x.joblib")])
