"""The audio head's design is chosen on training actors only (nested inside the actor folds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.audio import selection
from training.audio.data import actor_folds
from training.audio.network import EmotionHead


def synthetic(actors: int = 12, clips: int = 7, width: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features per clip (one row each) that separate the seven labels, with per-actor shifts."""
    rng = np.random.default_rng(0)
    labels = np.tile(np.arange(clips) % 7, actors)
    actor = np.repeat(np.arange(1, actors + 1), clips)
    centres = rng.normal(0, 3, (7, width))
    x = centres[labels] + rng.normal(0, 1, (len(labels), width)) + rng.normal(0, 0.5, (actors, width))[actor - 1]
    return x.astype(np.float32), labels.astype(np.int64), actor


def test_actor_groups_cover_the_given_actors_in_runs_of_four() -> None:
    actors = np.repeat(np.arange(1, 19), 2)
    groups = selection.actor_groups(actors, actors <= 18, per_fold=4)
    assert [sorted(set(actors[g])) for g in groups] == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12],
                                                         [13, 14, 15, 16], [17, 18]]
    inside = selection.actor_groups(actors, ~np.isin(actors, [5, 6, 7, 8]), per_fold=4)
    assert all(not set(actors[g]) & {5, 6, 7, 8} for g in inside)


def test_selection_never_sees_the_outer_held_out_actors(monkeypatch: pytest.MonkeyPatch) -> None:
    # A small grid keeps this fast; the mechanics are those of the full one.
    monkeypatch.setattr(selection, "HIDDEN", (8, 16))
    monkeypatch.setattr(selection, "EPOCHS", (30, 90))
    monkeypatch.setattr(selection, "GRID", tuple(selection.Design(h, e) for h in (8, 16) for e in (30, 90)))
    torch.set_num_threads(1)
    monkeypatch.setattr(selection, "INNER_ACTORS", 4)
    x, y, actors = synthetic()
    asked: list[set[int]] = []

    def rows(which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        asked.append(set(actors[which].tolist()))
        return x[which], y[which]

    def scored(head: EmotionHead, which: np.ndarray) -> dict[int, np.ndarray]:
        asked.append(set(actors[which].tolist()))
        with torch.no_grad():
            probs = torch.softmax(head(torch.from_numpy(x[which])), dim=-1).numpy()
        return {int(i): p for i, p in zip(np.flatnonzero(which), probs, strict=True)}

    for held_out in actor_folds(actors):
        asked.clear()
        design, scores = selection.select(~held_out, actors, y, rows, scored, seed=0)
        assert design in selection.GRID and set(scores) == set(selection.GRID)
        assert asked and not set().union(*asked) & set(actors[held_out].tolist())
        assert max(scores.values()) > 0.3  # separable data: the inner folds learn something (chance ~0.14)


def test_fit_stages_yields_each_checkpoint_once_in_order() -> None:
    x, y, _ = synthetic(actors=2)
    epochs = [e for e, _ in selection.fit_stages(x, y, hidden=8, checkpoints=(1, 3, 5), seed=0)]
    assert epochs == [1, 3, 5]
