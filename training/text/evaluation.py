"""Classification metrics of the text model and their Markdown rendering for the model card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from emocore.labels import LABELS, NUM_LABELS


@dataclass(frozen=True)
class Evaluation:
    precision: np.ndarray  # per label, LABELS order
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    weighted_f1: float
    macro_f1: float
    accuracy: float
    confusion: np.ndarray  # rows = true label, columns = predicted

    def headline(self) -> str:
        return f"weighted F1 {self.weighted_f1:.4f}, macro F1 {self.macro_f1:.4f}, accuracy {self.accuracy:.4f}"


def evaluate(truth: Sequence[int] | np.ndarray, predicted: Sequence[int] | np.ndarray) -> Evaluation:
    """Per-label precision/recall/F1, weighted and macro F1, accuracy and confusion matrix."""
    y, p = np.asarray(truth), np.asarray(predicted)
    labels = list(range(NUM_LABELS))
    precision, recall, f1, support = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    return Evaluation(
        precision=precision,
        recall=recall,
        f1=f1,
        support=support,
        weighted_f1=float(f1_score(y, p, labels=labels, average="weighted", zero_division=0)),
        macro_f1=float(f1_score(y, p, labels=labels, average="macro", zero_division=0)),
        accuracy=float((y == p).mean()),
        confusion=confusion_matrix(y, p, labels=labels),
    )


def to_markdown(result: Evaluation) -> str:
    """The per-label table, the averages and the confusion matrix as Markdown."""
    lines = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for i, label in enumerate(LABELS):
        lines.append(
            f"| {label} | {result.precision[i]:.3f} | {result.recall[i]:.3f} | "
            f"{result.f1[i]:.3f} | {int(result.support[i])} |"
        )
    lines += [
        "",
        f"- **weighted F1: {result.weighted_f1:.4f}**",
        f"- **macro F1: {result.macro_f1:.4f}**",
        f"- accuracy: {result.accuracy:.4f}",
        "",
        "Confusion matrix (rows: true label, columns: predicted):",
        "",
        "| true \\ predicted | " + " | ".join(LABELS) + " |",
        "|---|" + "---:|" * NUM_LABELS,
    ]
    for i, label in enumerate(LABELS):
        lines.append(f"| {label} | " + " | ".join(str(int(v)) for v in result.confusion[i]) + " |")
    return "\n".join(lines)
