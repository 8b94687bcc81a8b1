"""Training helpers: class weights, length-bucketed batches, the dialogue split, dev lines seen
in train, the model card's measured section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from training.text.evaluation import evaluate
from training.text.meld import Utterance, preceding, seen_in, split_by_dialogue
from training.text.train import (
    MARKERS,
    DevScore,
    TrainConfig,
    class_weights,
    length_batches,
    write_card,
)


def test_class_weights_favour_rare_labels_and_average_one_per_example() -> None:
    labels = np.array([6] * 80 + [0] * 15 + [1] * 5)
    weights = class_weights(labels, 7, power=0.5)
    assert weights[1] > weights[0] > weights[6]
    assert float((weights[labels]).mean()) == pytest.approx(1.0)
    assert weights[1] / weights[6] == pytest.approx((80 / 5) ** 0.5, rel=1e-5)


def test_length_batches_cover_every_example_once_and_repeat_with_the_seed() -> None:
    lengths = [int(x) for x in np.random.default_rng(0).integers(3, 60, size=1000)]
    first = length_batches(lengths, 32, torch.Generator().manual_seed(5))
    again = length_batches(lengths, 32, torch.Generator().manual_seed(5))
    assert first == again
    assert sorted(i for batch in first for i in batch) == list(range(1000))
    spread = np.median([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in first])
    assert spread <= 3  # similar lengths together: little padding


def test_write_card_replaces_only_the_measured_section(tmp_path: Path) -> None:
    card = tmp_path / "card.md"
    card.write_text(f"# Card\n\nbefore\n\n{MARKERS[0]}\nold figures\n{MARKERS[1]}\n\nafter\n")
    dev = DevScore(evaluate([0, 1, 2, 6, 6], [0, 1, 2, 6, 3]), evaluate([0, 1, 2, 6, 6], [0, 1, 6, 6, 6]),
                   evaluate([0, 1, 6], [0, 1, 3]), repeated=2)
    selection = evaluate([0, 0, 6], [0, 6, 6])
    write_card(card, TrainConfig(), (90, 10), selection, dev, ["epoch 1: ..."], "python -m training.text.train")
    text = card.read_text()
    assert text.startswith("# Card\n\nbefore\n") and text.endswith("\nafter\n")
    assert "old figures" not in text
    assert "weighted F1: 0.8667" in text and "`python -m training.text.train`" in text
    assert "**without context**" in text and "weighted F1: 0.7200" in text
    assert "2 dev lines occur word for word in train" in text and "other 3 dev lines" in text
    assert f"held-out train dialogues (with context): {selection.headline()}" in text
    with pytest.raises(ValueError, match="metrics:start"):
        (tmp_path / "bare.md").write_text("no markers")
        write_card(tmp_path / "bare.md", TrainConfig(), (90, 10), selection, dev, [], "x")


def test_train_is_split_by_whole_dialogues_with_the_seed() -> None:
    lines = [Utterance(f"line {d}-{t}", d % 7, d, t) for d in range(200) for t in range(5)]
    fit, held = split_by_dialogue(lines, 0.1, seed=13)
    assert len(held) == 100 and len(fit) == 900
    assert not {u.dialogue for u in fit} & {u.dialogue for u in held}
    assert split_by_dialogue(lines, 0.1, seed=13) == (fit, held)
    assert split_by_dialogue(lines, 0.1, seed=14)[1] != held


def test_lines_seen_in_train_are_found_as_the_model_sees_them() -> None:
    train = [Utterance("Okay.", 6, 1, 0), Utterance("I\u2019m fine", 6, 1, 1)]
    dev = [Utterance("okay.", 6, 9, 0), Utterance("I'm fine", 6, 9, 1), Utterance("Never seen", 0, 9, 2)]
    assert seen_in(dev, train).tolist() == [True, True, False]


def test_context_is_the_lines_before_in_the_same_dialogue_oldest_first() -> None:
    lines = [Utterance("b1", 6, 2, 1), Utterance("a0", 6, 1, 0), Utterance("a2", 6, 1, 2),
             Utterance("a1", 6, 1, 1), Utterance("b0", 6, 2, 0), Utterance("a3", 6, 1, 3)]
    assert preceding(lines, 2) == [["b0"], [], ["a0", "a1"], ["a0"], [], ["a1", "a2"]]
    assert preceding(lines, 0) == [[]] * 6
