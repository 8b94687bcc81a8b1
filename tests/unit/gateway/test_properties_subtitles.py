"""Property-based tests of the subtitle parser (gateway/subtitles.py).

Whatever bytes arrive, ``parse`` returns cues or raises the domain ``InvalidInput``
(never an IndexError, a ValueError or a UnicodeError); generated valid SRT and
WebVTT files read back as exactly the cues they were written from.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emocore.errors import InvalidInput
from gateway.subtitles import Cue, parse

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Lines that look like subtitle syntax, so random files get past the first checks.
SYNTAX = st.sampled_from(
    ["", "1", "WEBVTT", "NOTE x", "00:00:01,000 --> 00:00:02,000", "00:01.500 --> 00:02.000 align:start",
     "99:59:59,999 --> 0:0:0,0", "-->", "<i>hi</i>", "{\\an8}top", "&amp; &lt;", "\ufeff", "\r", "\x00"]
)


def check(data: bytes) -> None:
    try:
        cues = parse(data, max_bytes=4096)
    except InvalidInput:
        return
    assert cues and all(c.end_s >= c.start_s and c.text for c in cues)
    assert cues == sorted(cues, key=lambda c: (c.start_s, c.end_s))


@FAST
@given(st.binary(max_size=600))
def test_arbitrary_bytes_give_cues_or_invalid_input(data: bytes) -> None:
    check(data)


@FAST
@given(st.lists(st.one_of(SYNTAX, st.text(max_size=30)), max_size=25), st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_subtitle_like_text_gives_cues_or_invalid_input(lines: list[str], encoding: str) -> None:
    check("\n".join(lines).encode(encoding, errors="replace"))


WORD = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=8)
CUE = st.builds(
    lambda start, length, words: Cue(start / 1000, (start + length) / 1000, " ".join(words)),
    st.integers(0, 99 * 3600_000), st.integers(0, 3600_000), st.lists(WORD, min_size=1, max_size=6),
)


def stamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def srt(cues: list[Cue]) -> str:
    return "\n".join(
        f"{n}\n{stamp(c.start_s, ',')} --> {stamp(c.end_s, ',')}\n{c.text}\n" for n, c in enumerate(cues, 1)
    )


def vtt(cues: list[Cue]) -> str:
    return "WEBVTT\n\n" + "\n".join(f"{stamp(c.start_s, '.')} --> {stamp(c.end_s, '.')}\n{c.text}\n" for c in cues)


@FAST
@given(st.lists(CUE, min_size=1, max_size=12), st.sampled_from([srt, vtt]), st.sampled_from(["\n", "\r\n"]))
def test_written_cues_read_back(cues: list[Cue], render: object, newline: str) -> None:
    text = render(cues).replace("\n", newline)  # type: ignore[operator]
    parsed = parse(text.encode("utf-8"), max_bytes=1 << 20)
    expected = sorted(cues, key=lambda c: (c.start_s, c.end_s))
    def ms(cue: Cue) -> tuple[int, int]:
        return round(cue.start_s * 1000), round(cue.end_s * 1000)

    assert [ms(c) for c in parsed] == [ms(c) for c in expected]
    assert sorted(c.text for c in parsed) == sorted(c.text for c in expected)
