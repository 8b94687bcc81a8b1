"""Text emotion pipeline: validate lines (and their contexts) -> tokenize -> infer in batches -> per-line scores.

No web imports here. Lines of a request are grouped by token length before they
are batched (less padding), and the answers are put back in request order.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emocore.errors import InvalidInput, ModelNotReady, PayloadTooLarge
from emocore.inference import InferenceBackend, timed_infer
from emocore.labels import NUM_LABELS, scores_dict, top_label
from emocore.metrics import ServiceMetrics
from services.text.tokenizer import DEFAULT_MAX_CONTEXT_TOKENS, Encoded, TextTokenizer

INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
OUTPUT_NAME = "probs"


@dataclass(frozen=True)
class LinePrediction:
    label: str
    scores: dict[str, float]
    truncated: bool

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "scores": self.scores, "truncated": self.truncated}


def check_contexts(texts: Sequence[str], contexts: Sequence[Sequence[str]] | None) -> None:
    """One context (a list of earlier lines, maybe empty) per line, or none at all."""
    if contexts is not None and len(contexts) != len(texts):
        raise InvalidInput(
            f"contexts has {len(contexts)} entries for {len(texts)} texts; send one list of preceding "
            "lines per text (an empty list when a line has none), or no contexts",
            code="contexts_mismatch",
        )


def validate(texts: Sequence[str], encoded: Encoded) -> None:
    """Reject lines the model cannot read (empty, whitespace or nothing but control marks)."""
    for index, text in enumerate(texts):
        if not text.strip():
            raise InvalidInput(
                f"texts[{index}] is empty or whitespace-only; send only lines with words",
                code="empty_text",
            )
        if not encoded.words[index]:  # only special tokens: nothing readable was left
            raise InvalidInput(f"texts[{index}] has no readable characters", code="empty_text")


def batches(encoded: Encoded, size: int) -> list[tuple[np.ndarray, Encoded]]:
    """Length-sorted chunks of at most ``size`` lines, each padded only to its own longest line."""
    order = np.argsort(encoded.lengths, kind="stable")
    chunks = []
    for start in range(0, len(order), size):
        rows = order[start : start + size]
        width = int(encoded.lengths[rows].max())
        chunks.append((
            rows,
            Encoded(
                np.ascontiguousarray(encoded.input_ids[rows, :width]),
                np.ascontiguousarray(encoded.attention_mask[rows, :width]),
                [encoded.truncated[i] for i in rows],
                [encoded.words[i] for i in rows],
            ),
        ))
    return chunks


class TextEmotionModel:
    """Tokenizes on CPU in the service; runs the ONNX model on the configured backend."""

    def __init__(
        self,
        backend: InferenceBackend,
        metrics: ServiceMetrics,
        *,
        tokenizer_path: Path,
        model_name: str = "text_emotion",
        max_tokens: int = 64,
        max_context_tokens: int = DEFAULT_MAX_CONTEXT_TOKENS,
        max_lines: int = 512,
        batch_size: int = 64,
    ) -> None:
        self.backend = backend
        self.metrics = metrics
        self.tokenizer_path = tokenizer_path
        self.model_name = model_name
        self.max_tokens = max_tokens
        self.max_context_tokens = max_context_tokens
        self.max_lines = max_lines
        self.batch_size = batch_size
        self._tokenizer: TextTokenizer | None = None
        self._lock = threading.Lock()

    def tokenizer(self) -> TextTokenizer:
        """The tokenizer, loaded on first use; ModelNotReady when its file is missing."""
        with self._lock:
            if self._tokenizer is None:
                if not self.tokenizer_path.is_file():
                    raise ModelNotReady(
                        f"tokenizer not found at {self.tokenizer_path}; run 'make models' "
                        "or set EMO_TEXT_TOKENIZER_PATH"
                    )
                self._tokenizer = TextTokenizer(self.tokenizer_path, max_tokens=self.max_tokens,
                                                max_context_tokens=self.max_context_tokens)
            return self._tokenizer

    async def is_ready(self) -> bool:
        try:
            await asyncio.to_thread(self.tokenizer)
        except ModelNotReady:
            return False
        return await self.backend.is_ready(self.model_name)

    def encode(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> Encoded:
        """Check the request's limits, lines and contexts, then tokenize (blocking)."""
        if len(texts) > self.max_lines:
            raise PayloadTooLarge(f"{len(texts)} lines is over the limit of {self.max_lines} per request")
        check_contexts(texts, contexts)
        encoded = self.tokenizer().encode(texts, contexts)
        validate(texts, encoded)
        return encoded

    async def probabilities(self, encoded: Encoded) -> np.ndarray:
        """[N, 7] probabilities in the order of ``encoded``'s rows."""
        probs = np.zeros((len(encoded.truncated), NUM_LABELS), dtype=np.float32)
        for rows, chunk in batches(encoded, self.batch_size):
            result = await timed_infer(
                self.backend,
                self.metrics,
                self.model_name,
                {INPUT_IDS: chunk.input_ids, ATTENTION_MASK: chunk.attention_mask},
                [OUTPUT_NAME],
            )
            probs[rows] = result[OUTPUT_NAME].reshape(len(rows), NUM_LABELS)
        return probs

    async def predict(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> list[LinePrediction]:
        """One prediction per line (read with ``contexts[i]``, its preceding lines, when given), in
        order; raises InvalidInput / PayloadTooLarge."""
        encoded = await asyncio.to_thread(self.encode, texts, contexts)
        probs = await self.probabilities(encoded)
        self.metrics.count_items("lines", len(texts))
        self.metrics.count_items("truncated_lines", sum(encoded.truncated))
        return [
            LinePrediction(top_label(p), scores_dict(p), cut)
            for p, cut in zip(probs, encoded.truncated, strict=True)
        ]
