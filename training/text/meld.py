"""Read the MELD text splits (train/dev CSVs in the shared data folder) for training.

Each row is one utterance of a *Friends* dialogue with one of MELD's seven
emotions, mapped onto the project labels (``joy`` -> ``happiness``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from emocore.labels import MELD, label_index

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
