"""Design choices of the audio emotion head, made on training actors only.

Nested speaker-independent selection: the head's number of epochs (and, with a
wider grid, its width) is chosen by cross-validation over the actors a head is
trained on (inner folds of whole actors), never on the actors it is then scored
on. The grid is small because every head trains on the shared 2-core CPU: one
40-epoch run per inner fold scores both 20 and 40 epochs. The outer
folds of ``training.audio.train`` use it per fold, so their held-out figure is
free of selection; the shipped head uses it over its own training actors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.metrics import f1_score

from emocore.labels import NUM_LABELS
from training.audio.network import EmotionHead

HIDDEN = (256,)
EPOCHS = (20, 40)
BATCH = 64
INNER_ACTORS = 8  # actors held out per inner fold: 16 training actors -> two inner folds


@dataclass(frozen=True)
class Design:
    hidden: int
    epochs: int

    def __str__(self) -> str:
        return f"hidden {self.hidden}, {self.epochs} epochs"


GRID = tuple(Design(h, e) for h in HIDDEN for e in EPOCHS)

# (features [rows, F], labels [rows]) of the given clips: their clean and augmented windows.
TrainingSet = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
# Clip index -> pooled probabilities of the given clips, as the service pools windows.
Predict = Callable[[EmotionHead, np.ndarray], dict[int, np.ndarray]]


def actor_groups(actors: np.ndarray, within: np.ndarray, per_fold: int = INNER_ACTORS) -> list[np.ndarray]:
    """Boolean masks over all clips: the actors of ``within`` in sorted runs of ``per_fold``."""
    present = np.unique(actors[within])
    return [within & np.isin(actors, present[i : i + per_fold]) for i in range(0, len(present), per_fold)]


def fit_stages(features: np.ndarray, labels: np.ndarray, *, hidden: int, checkpoints: tuple[int, ...],
               seed: int, batch: int = BATCH) -> Iterator[tuple[int, EmotionHead]]:
    """AdamW on the pooled features (class-balanced, label-smoothed cross-entropy); yields the
    head, in eval mode, after each epoch count of ``checkpoints`` (one run serves them all)."""
    torch.manual_seed(seed)
    head = EmotionHead(features.shape[1], hidden)
    head.mean.copy_(torch.from_numpy(features.mean(axis=0)))
    head.std.copy_(torch.from_numpy(features.std(axis=0) + 1e-5))
    x, y = torch.from_numpy(features), torch.from_numpy(labels)
    counts = np.bincount(labels, minlength=NUM_LABELS).astype(np.float32)
    weight = torch.from_numpy(counts.sum() / np.maximum(counts, 1) / NUM_LABELS)
    optimizer = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-2)
    for epoch in range(1, max(checkpoints) + 1):
        head.train()
        order = torch.randperm(len(x))
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            loss = torch.nn.functional.cross_entropy(head(x[idx]), y[idx], weight=weight, label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch in checkpoints:
            yield epoch, head.eval()


def train_head(features: np.ndarray, labels: np.ndarray, design: Design, seed: int) -> EmotionHead:
    """One head of the given design."""
    *_, (_, head) = fit_stages(features, labels, hidden=design.hidden, checkpoints=(design.epochs,), seed=seed)
    return head


def select(within: np.ndarray, actors: np.ndarray, labels: np.ndarray, training_set: TrainingSet,
           predict: Predict, seed: int) -> tuple[Design, dict[Design, float]]:
    """Best design by macro F1 over inner folds of the actors in ``within`` (ties: the smaller,
    shorter one); returns it and every design's inner score."""
    pooled: dict[Design, dict[int, np.ndarray]] = {d: {} for d in GRID}
    for inner, held in enumerate(actor_groups(actors, within, INNER_ACTORS)):
        x, y = training_set(within & ~held)
        for hidden in HIDDEN:
            for epochs, head in fit_stages(x, y, hidden=hidden, checkpoints=EPOCHS, seed=seed + 100 * inner):
                pooled[Design(hidden, epochs)].update(predict(head, held))
    clips = [int(i) for i in np.flatnonzero(within)]
    scores = {
        design: float(f1_score(labels[clips], [int(np.argmax(probs[i])) for i in clips],
                               labels=list(range(NUM_LABELS)), average="macro", zero_division=0))
        for design, probs in pooled.items()
    }
    return max(GRID, key=lambda d: (round(scores[d], 4), -d.hidden, -d.epochs)), scores
