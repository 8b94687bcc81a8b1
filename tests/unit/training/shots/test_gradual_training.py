"""The gradual scorer's training labels and saved weights: what the cascade loads is what was fitted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from devtools.shot_families import FamilyVideo
from devtools.video import Transition
from gateway.shots.gradual_scorer import GradualScorer
from training.shots.gradual import labels, save


def test_labels_mark_gradual_frames_ignore_the_edges_and_cuts() -> None:
    video = FamilyVideo("f", "f-0", np.zeros((40, 27, 48, 3), np.uint8), 25.0,
                        [Transition("cut", 10, 10), Transition("gradual", 20, 25)], [])
    y = labels(video)
    assert y[20:26].tolist() == [1] * 6
    assert y[18:20].tolist() == [-1, -1] and y[26:28].tolist() == [-1, -1]
    assert y[8:13].tolist() == [-1] * 5  # around a cut: neither inside a dissolve nor clearly outside
    assert y[:8].tolist() == [0] * 8 and y[28:].tolist() == [0] * 12


def test_saved_weights_give_the_average_of_the_fitted_models_probabilities(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    scaler = StandardScaler().fit(x)
    models = [MLPClassifier((8,), max_iter=3000, random_state=seed).fit(scaler.transform(x), y) for seed in (0, 1)]
    save(tmp_path / "s.npz", scaler, models)
    served = GradualScorer.load(tmp_path / "s.npz").score(x)
    each = [m.predict_proba(scaler.transform(x))[:, 1] for m in models]
    assert np.abs(each[0] - each[1]).max() > 0.01  # the seeds do give different members
    np.testing.assert_allclose(served, np.mean(each, axis=0), atol=1e-5)
    save(tmp_path / "one.npz", scaler, models[:1])
    np.testing.assert_allclose(GradualScorer.load(tmp_path / "one.npz").score(x), each[0], atol=1e-5)
