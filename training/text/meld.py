"""Read the MELD text splits (train/dev CSVs in the shared data folder) for training,
split train by dialogue for model selection, give each line the lines before it in
its dialogue, and find dev lines that train repeats.

Each row is one utterance of a *Friends* dialogue with one of MELD's seven
emotions, mapped onto the project labels (``joy`` -> ``happiness``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emocore.labels import MELD, label_index
from services.text.tokenizer import normalize

# The shared data folder sits beside the repository (/work/shared next to /work/main, CI alike).
DEFAULT_DATA_DIR = Path("/work/shared/datasets/meld")  # as training/audio/data.py finds RAVDESS


@dataclass(frozen=True)
class Utterance:
    text: str
    label: int  # index into emocore.labels.LABELS
    dialogue: int
    turn: int


def read_split(path: Path) -> list[Utterance]:
    """All utterances of one split, in file order."""
    if not path.is_file():
        raise FileNotFoundError(f"MELD split not found: {path} (see /work/shared/datasets/meld/README.md)")
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            Utterance(
                text=row["Utterance"],
                label=label_index(MELD[row["Emotion"]]),
                dialogue=int(row["Dialogue_ID"]),
                turn=int(row["Utterance_ID"]),
            )
            for row in csv.DictReader(handle)
        ]


def split_by_dialogue(utterances: list[Utterance], fraction: float, seed: int) -> tuple[list[Utterance], list[Utterance]]:
    """(fit, held out): whole dialogues held out, ``fraction`` of them, chosen with ``seed``.

    Lines of one conversation share speakers, topic and often words, so a
    validation split that cuts through dialogues would flatter the model.
    """
    dialogues = sorted({u.dialogue for u in utterances})
    count = max(1, round(fraction * len(dialogues)))
    held = set(np.random.default_rng(seed).permutation(dialogues)[:count].tolist())
    return [u for u in utterances if u.dialogue not in held], [u for u in utterances if u.dialogue in held]


def seen_in(lines: list[Utterance], reference: list[Utterance]) -> np.ndarray:
    """Mask of ``lines`` whose text, as the model sees it (normalised, uncased), occurs in ``reference``."""
    known = {normalize(u.text).lower() for u in reference}
    return np.array([normalize(u.text).lower() in known for u in lines], dtype=bool)


def preceding(utterances: list[Utterance], count: int) -> list[list[str]]:
    """Per utterance, the texts of up to ``count`` utterances before it in its dialogue,
    oldest first (MELD's ``Utterance_ID`` order): the context a subtitle line has."""
    order = sorted(range(len(utterances)), key=lambda i: (utterances[i].dialogue, utterances[i].turn))
    contexts: list[list[str]] = [[] for _ in utterances]
    for position, index in enumerate(order):
        earlier = order[max(0, position - count) : position]
        contexts[index] = [utterances[j].text for j in earlier if utterances[j].dialogue == utterances[index].dialogue]
    return contexts
