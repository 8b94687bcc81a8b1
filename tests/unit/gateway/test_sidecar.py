"""Broadcast subtitle sidecars: TTML, EBU-STL and SCC written from known cues read back whole, on time."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from devtools.subtitle_files import TEN_HOURS_S, scc_bytes, srt_text, stl_bytes, ttml_bytes
from emocore.errors import InvalidInput, UnsupportedMediaType
from gateway.sidecar import detect, read_cues
from gateway.subtitles import Cue

CUES = [
    Cue(2.0, 3.5, "I am so happy today! This is wonderful news."),
    Cue(4.0, 6.5, "Wow, what an amazing surprise & a gift."),
    Cue(8.0, 9.5, "Leave me alone."),
]
WRITERS: dict[str, Callable[[Sequence[Cue], float], bytes]] = {"ttml": ttml_bytes, "stl": stl_bytes, "scc": scc_bytes}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
@pytest.mark.parametrize("offset_s", [0.0, TEN_HOURS_S], ids=["from-zero", "programme-start-10h"])
def test_each_format_gives_the_same_lines_at_their_times(fmt: str, offset_s: float) -> None:
    data = WRITERS[fmt](CUES, offset_s)
    assert detect(data, "upload.bin") == fmt  # by content, whatever the file is called
    cues = read_cues(data, name=f"clip.{fmt}")
    assert [c.text for c in cues] == [c.text for c in CUES]
    tolerance = 0.15 if fmt == "scc" else 0.05  # SCC: 29.97 drop-frame timecodes, CEA-608 command timing
    for got, want in zip(cues, CUES, strict=True):
        assert got.start_s == pytest.approx(want.start_s, abs=tolerance)
        assert got.end_s == pytest.approx(want.end_s, abs=tolerance)


def test_srt_and_vtt_still_go_through_their_parser() -> None:
    srt = srt_text(CUES).encode()
    assert detect(srt, "x") == "srt" and [c.text for c in read_cues(srt)] == [c.text for c in CUES]
    assert detect(b"WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", "x") == "vtt"


STL = stl_bytes(CUES)
MALFORMED = [
    ("ttml-unclosed", b"<?xml version='1.0'?><tt xmlns='http://www.w3.org/ns/ttml'><body><p>hi</body></tt>",
     "malformed TTML file: XML error"),
    ("ttml-bad-time", b"<tt xmlns='http://www.w3.org/ns/ttml'><body><div><p begin='soon' end='2s'>hi</p></div></body></tt>",
     "Bad begin attribute value: soon"),
    ("ttml-not-tt", b"<?xml version='1.0'?><html><body><tt>x</tt></body></html>", "not a TTML 'tt' element"),
    ("stl-truncated", STL[:-40], "truncated: 88 bytes after the last whole 128-byte TTI block"),
    ("stl-count", STL[:238] + b"00009" + STL[243:], "declares '00009' TTI blocks, the file holds 3"),
    ("scc-timecode", b"Scenarist_SCC V1.0\n\n10:00:0x;11\t9420 9420\n", "line 3: expected a timecode"),
    ("scc-bytes", b"Scenarist_SCC V1.0\n\n10:00:00;11\t9420 94zz\n", "line 3: expected hexadecimal byte pairs"),
    ("scc-empty", b"Scenarist_SCC V1.0\n\n", "no subtitle with text and timing found"),
]


@pytest.mark.parametrize(("data", "message"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_files_are_refused_naming_the_problem(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        read_cues(data, name="clip.sub")
    assert caught.value.code == "invalid_subtitles" and "clip.sub" in str(caught.value)


@pytest.mark.parametrize("name", ["clip.sub", "clip.ass", "clip"])
def test_an_unknown_format_is_415(name: str) -> None:
    with pytest.raises(UnsupportedMediaType, match="unknown subtitle format") as caught:
        read_cues(b"{1}{25}Hello there\n{30}{60}General Kenobi\n", name=name)
    assert caught.value.code == "unsupported_subtitles"


def test_known_extension_with_unreadable_content_is_a_422_for_that_format() -> None:
    with pytest.raises(InvalidInput, match="line 1"):
        read_cues(b"no timing here\n", name="clip.srt")
    with pytest.raises(InvalidInput, match="malformed EBU-STL"):
        read_cues(b"x" * 300, name="clip.stl")
