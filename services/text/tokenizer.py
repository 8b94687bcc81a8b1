"""Text -> token tensors for the text emotion model (shared by the service and training).

The tokenizer is the ``tokenizer.json`` of the base encoder, which ``make
models`` copies next to the ONNX file. Before tokenizing, lines are normalised
the way the training data was: Unicode NFKC, typographic quotes and dashes to
ASCII (MELD's subtitles use curly apostrophes, users type straight ones), runs of
whitespace collapsed. Lines longer than ``max_tokens`` (special tokens included)
are cut at the end and flagged as truncated.

A line may come with its context, the lines before it in the conversation
(oldest first). The model then reads a pair, the base's own template for two
segments (``[CLS] line [SEP] context [SEP]``, ``<s> line </s></s> context </s>``):
the line first, then the context **newest first**, lines joined by the separator
token, cut after ``max_context_tokens`` pieces, so the oldest words go first. A
line without context is encoded exactly as a single line.
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
DEFAULT_MAX_CONTEXT_TOKENS = 32  # the model was trained at 64; 32 read held-out dialogues as well, 1.2x faster
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
    """A padded batch: ``input_ids`` and ``attention_mask`` INT64 [N, L]; per line, whether it was
    cut and how many word pieces of its own (not its context's) it kept."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    truncated: list[bool]
    words: list[int]

    @property
    def lengths(self) -> np.ndarray:
        return self.attention_mask.sum(axis=1)


class TextTokenizer:
    """Normalises, tokenizes and pads lines (with their context, if any); truncates at
    ``max_tokens`` per line and ``max_context_tokens`` per context."""

    def __init__(self, path: Path, *, max_tokens: int = DEFAULT_MAX_TOKENS,
                 max_context_tokens: int = DEFAULT_MAX_CONTEXT_TOKENS) -> None:
        self.path = Path(path)
        self._tokenizer = Tokenizer.from_file(str(self.path))
        self.pad_id = int((self._tokenizer.padding or {}).get("pad_id", 0))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        if max_tokens < self._tokenizer.num_special_tokens_to_add(False) + 1:
            raise ValueError("max_tokens must leave room for the special tokens and one word piece")
        self.max_tokens = max_tokens
        self.max_context_tokens = max_context_tokens
        # The base's separator ([SEP], </s>) ends a single line; it also joins context lines.
        self.separator = self._tokenizer.encode("a").tokens[-1]

    def _context(self, lines: Sequence[str]) -> str:
        return f" {self.separator} ".join(filter(None, (normalize(line) for line in reversed(lines))))

    def encode(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> Encoded:
        """Tokenize lines (with ``contexts[i]`` before ``texts[i]``, oldest first) into one
        batch padded to its longest row."""
        lines = self._tokenizer.encode_batch([normalize(t) for t in texts], add_special_tokens=False)
        limit = self.max_tokens - self._tokenizer.num_special_tokens_to_add(False)
        truncated = [len(line.ids) > limit for line in lines]
        for line in lines:
            line.truncate(limit)
        joined = [self._context(c) for c in contexts] if contexts is not None else [""] * len(lines)
        before = self._tokenizer.encode_batch(joined, add_special_tokens=False)
        rows = []
        for line, context in zip(lines, before, strict=True):
            if not context.ids or self.max_context_tokens <= 0:
                rows.append(self._tokenizer.post_process(line).ids)
                continue
            context.truncate(self.max_context_tokens)
            rows.append(self._tokenizer.post_process(line, context).ids)
        width = max((len(r) for r in rows), default=0)
        ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for row, row_ids in enumerate(rows):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1
        return Encoded(ids, mask, truncated, [len(line.ids) for line in lines])

    def token(self, token_id: int) -> str:
        """The word piece of one id (for debugging and tests)."""
        return str(self._tokenizer.id_to_token(token_id))

    def tokens(self, text: str) -> list[str]:
        """The word pieces the model sees for one line (for debugging and tests)."""
        return [self.token(int(i)) for i in self.encode([text]).input_ids[0]]
