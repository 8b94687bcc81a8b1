"""The span judge's saved trees: what the cascade loads gives what sklearn fitted."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gateway.shots.span_judge import SpanJudge
from training.shots.span_judge import fit, save


def test_saved_trees_give_the_fitted_models_probabilities(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype(np.float32)
    y = ((x[:, 0] > 0.3) ^ (x[:, 1] * x[:, 2] > 0)).astype(int)  # needs several splits, trees of uneven size
    model = fit(x, y)
    save(tmp_path / "j.npz", model)
    served = SpanJudge.load(tmp_path / "j.npz").probabilities(x)
    np.testing.assert_allclose(served, model.predict_proba(x)[:, 1], atol=1e-5)
    assert ((served > 0.5) == y).mean() > 0.9  # the trees do separate the classes
    assert SpanJudge.load(tmp_path / "j.npz").probabilities(x[:0]).shape == (0,)
