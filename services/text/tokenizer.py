"""Text -> token tensors for the text emotion model (shared by the service and training).

The tokenizer is the ``tokenizer.json`` of the base encoder (all-MiniLM-L6-v2,
uncased WordPiece), which ``make models`` copies next to the ONNX file. Before
tokenizing, lines are normalised the way the training data was: Unicode NFKC,
typographic quotes and dashes to ASCII (MELD's subtitles use curly
apostrophes, users type straight ones), runs of whitespace collapsed. Lines
longer than ``max_tokens`` (special tokens included) are cut at the end and
flagged as truncated.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

DEFAULT_MAX_TOKENS = 64
_ASCII = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
     "\u2013": "-", "\u2014": "-", "\u2212": "-"}
)
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, ASCII quotes and dashes, single spaces, stripped."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).translate(_ASCII)).strip()


@dataclass(frozen=True)
class Encoded:
    """A padded batch: ``input_ids`` and ``attention_mask`` INT64 [N, L]; per-line flags."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    truncated: list[bool]

    @property
    def lengths(self) -> np.ndarray:
        return self.attention_mask.sum(axis=1)


class TextTokenizer:
    """Normalises, tokenizes and pads lines; truncates at ``max_tokens``."""

    def __init__(self, path: Path, *, max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        if max_tokens < 3:
            raise ValueError("max_tokens must leave room for [CLS] and [SEP]")
        self.path = Path(path)
        self.max_tokens = max_tokens
        self._tokenizer = Tokenizer.from_file(str(self.path))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_tokens)
        pad_id = self._tokenizer.token_to_id("[PAD]")
        self.pad_id = 0 if pad_id is None else pad_id

    def encode(self, texts: Sequence[str]) -> Encoded:
        """Tokenize lines into one batch padded to its longest line."""
        encodings = self._tokenizer.encode_batch([normalize(t) for t in texts])
        width = max((len(e.ids) for e in encodings), default=0)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return Encoded(ids, mask, [bool(e.overflowing) for e in encodings])

    def tokens(self, text: str) -> list[str]:
        """The word pieces the model sees for one line (for debugging and tests)."""
        return list(self._tokenizer.encode(normalize(text)).tokens)
