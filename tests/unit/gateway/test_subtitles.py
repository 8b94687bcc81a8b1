"""Subtitle files as people actually make them: encodings, BOMs, CRLF, markup, mistakes."""

from __future__ import annotations

import time

import pytest

from emocore.errors import InvalidInput, PayloadTooLarge
from gateway.subtitles import Cue, decode_text, parse

SRT = """1
00:00:01,000 --> 00:00:03,500
I'm so happy to see you!

2
00:00:04,000 --> 00:00:06,000
<i>Café</i> au lait,
s'il vous plaît.

"""

VTT = """WEBVTT - a header

NOTE this is a comment
spanning lines

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:03.500 align:start position:10%
<v Roger>I'm so happy to see you!</v>

00:00:04.000 --> 00:00:06.000
<c.yellow>Café</c> au lait, &amp; s'il vous plaît.
"""

EXPECTED = [
    Cue(1.0, 3.5, "I'm so happy to see you!"),
    Cue(4.0, 6.0, "Café au lait, s'il vous plaît."),
]


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_srt_in_any_common_encoding_and_line_ending(encoding: str, newline: str) -> None:
    data = SRT.replace("\n", newline).encode(encoding)
    assert parse(data) == EXPECTED


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_webvtt_with_headers_notes_styles_and_voice_tags(encoding: str) -> None:
    cues = parse(VTT.replace("\n", "\r\n").encode(encoding))
    assert cues[0] == EXPECTED[0]
    assert cues[1].text == "Café au lait, & s'il vous plaît."


def test_cp1252_smart_quotes_are_read_as_such() -> None:
    data = "1\n00:00:00,000 --> 00:00:01,000\n\u201cHello\u201d \u2013 it\u2019s me\n".encode("cp1252")
    assert parse(data)[0].text == "\u201cHello\u201d \u2013 it\u2019s me"


def test_utf16_without_bom_is_detected() -> None:
    assert decode_text("1\nhello".encode("utf-16-le")) == "1\nhello"
    assert decode_text("1\nhello".encode("utf-16-be")) == "1\nhello"


def test_tolerated_sloppiness() -> None:
    data = (
        b"\n\n1\n00:00:01,5 --> 00:00:02,000 X1:10 X2:20\n{\\an8}<b>Top</b> line\n\nstray continuation\n\n"
        b"00:00:03,000 --> 00:00:04,000\nno index line\n\n"
        b"3\n1:00:00,000 --> 1:00:01,000\nan hour in\n\n"
        b"4\n00:00:05,000 --> 00:00:05,500\n\n"  # empty cue: dropped
    )
    cues = parse(data)
    assert [c.text for c in cues] == ["Top line stray continuation", "no index line", "an hour in"]
    assert cues[0].start_s == pytest.approx(1.5)
    assert cues[2].start_s == 3600.0


def test_cues_come_back_sorted_by_time() -> None:
    data = b"2\n00:00:05,000 --> 00:00:06,000\nlater\n\n1\n00:00:01,000 --> 00:00:02,000\nearlier\n"
    assert [c.text for c in parse(data)] == ["earlier", "later"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty subtitle file"),
        (b"   \r\n  ", "empty subtitle file"),
        (b"just some words\nwith no timing at all\n", "line 1: expected a cue timing"),
        (b"1\n00:00:01,000 --> soon\nhello\n", "line 2: malformed cue timing"),
        (b"1\n00:00:05,000 --> 00:00:01,000\nbackwards\n", "line 2: cue ends"),
        (b"WEBVTT\n\nNOTE only a note\n", "no subtitle cues found"),
        (bytes(range(256)) * 4, "not a text subtitle file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text subtitle file"),
    ],
    ids=["empty", "blank", "no-timing", "bad-timing", "backwards", "no-cues", "binary", "png"],
)
def test_malformed_files_are_rejected_clearly(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        parse(data, name="movie.srt")
    assert caught.value.code == "invalid_subtitles"
    assert "movie.srt" in caught.value.message


def test_oversized_file_is_rejected() -> None:
    with pytest.raises(PayloadTooLarge):
        parse(SRT.encode() * 10, max_bytes=100)


FIVE_MB = 5 * 1024 * 1024


@pytest.mark.parametrize("cue_first", [True, False], ids=["after-a-cue", "alone"])
def test_five_megabytes_of_lt_cost_under_a_second_of_cpu(cue_first: bool) -> None:
    # The old tag regex rescanned to the end of the text from every "<": 80 KB took 3.6 s.
    head = b"1\n00:00:01,000 --> 00:00:02,000\n" if cue_first else b""
    data = head + b"<" * (FIVE_MB - len(head))
    started = time.process_time()
    try:
        cues = parse(data)
    except InvalidInput:
        assert not cue_first
    else:
        assert cues[0].text == "<" * (FIVE_MB - len(head))
    assert time.process_time() - started < 1.0


def test_text_continued_over_many_blocks_is_read_in_one_pass() -> None:
    # Each stray block used to copy the whole cue text so far: quadratic in the blocks.
    data = b"1\n00:00:01,000 --> 00:00:02,000\nstart\n" + b"\nmore\n" * 400_000
    started = time.process_time()
    (cue,) = parse(data)
    assert cue.text.split() == ["start"] + ["more"] * 400_000
    assert time.process_time() - started < 3.0


def test_more_cues_than_the_limit_is_refused() -> None:
    cue = "{n}\n00:00:01,000 --> 00:00:02,000\nline {n}\n\n"
    data = "".join(cue.format(n=n) for n in range(11)).encode()
    assert len(parse(data, max_cues=11)) == 11
    with pytest.raises(PayloadTooLarge, match="more than 10 cues"):
        parse(data, max_cues=10)
