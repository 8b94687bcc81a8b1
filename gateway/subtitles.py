"""SRT and WebVTT sidecar files: encoding detection, parsing, clear errors.

Encodings: a BOM decides (UTF-8, UTF-16 LE/BE, UTF-32); without one, many NUL bytes
mean UTF-16 (byte order from where the NULs are), else strict UTF-8, else cp1252
(bytes cp1252 leaves undefined are read as Latin-1). Line ends: CRLF, CR and LF.
Formats: a file whose first line starts with ``WEBVTT`` is WebVTT, anything else is
read as SRT. Markup (``<i>``, ``<v Speaker>``, ``{\\an8}``, entities) is stripped; a
cue's lines are joined with spaces. A tag cannot contain ``<`` (or ``{``), so stripping
is linear in the text: a run of unclosed ``<`` costs one pass, not one pass per ``<``.
A block without a timing line continues the text of the cue before it (a stray
blank line inside a cue is common); a file with no cue at all, a broken timing line
or a cue ending before it starts is rejected with InvalidInput naming the line. More than ``max_cues`` cues is PayloadTooLarge (413):
the cue count bounds the per-shot work after parsing, whatever the byte size.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from emocore.errors import InvalidInput, PayloadTooLarge

BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
TIME = r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
TIMING = re.compile(rf"^\s*{TIME}\s*-->\s*{TIME}(?:\s+.*)?$")
# No "<" inside a tag: each match attempt stops at the next "<", so a run of them is linear.
TAG = re.compile(r"<[^<>]*>|\{\\[^{}]*\}")
MAX_CUES = 50_000


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str


def decode_text(data: bytes) -> str:
    """Bytes of a subtitle file -> text, detecting the encoding as documented above."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding.replace("-sig", ""), errors="replace")
    sample = data[:4096]
    if sample and sample.count(0) > len(sample) // 4:
        even_nuls = sample[0::2].count(0)
        return data.decode("utf-16-be" if even_nuls > sample[1::2].count(0) else "utf-16-le", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _unprintable(text: str) -> int:
    """How many characters are neither printable nor a line break or tab (fast when none)."""
    if text.replace("\n", "").replace("\t", "").isprintable():
        return 0
    return sum(not (c.isprintable() or c in "\n\t") for c in text)


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000.0


def clean(text: str) -> str:
    """Plain text of a cue line: markup and entities removed, spaces collapsed."""
    return " ".join(html.unescape(TAG.sub("", text)).split())


def parse(
    data: bytes, *, name: str = "subtitles", max_bytes: int = 5 * 1024 * 1024, max_cues: int = MAX_CUES
) -> list[Cue]:
    """Cues of an SRT or WebVTT file, sorted by start time."""
    if not data.strip():
        raise InvalidInput(f"{name}: empty subtitle file", code="invalid_subtitles")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"{name}: {len(data)} bytes is over the {max_bytes}-byte limit")
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text or _unprintable(text) > len(text) // 20:
        raise InvalidInput(f"{name}: not a text subtitle file (SRT or WebVTT)", code="invalid_subtitles")
    lines = text.split("\n")
    vtt = lines[0].lstrip("\ufeff").startswith("WEBVTT")
    cues: list[_Draft] = []
    block: list[tuple[int, str]] = []
    for number, line in enumerate([*lines, ""], start=1):
        if line.strip():
            block.append((number, line))
            continue
        if block:
            _parse_block(block, cues, name=name, vtt=vtt)
            block = []
            if len(cues) > max_cues:
                raise PayloadTooLarge(f"{name}: more than {max_cues} cues (the limit)")
    if not cues:
        raise InvalidInput(f"{name}: no subtitle cues found (expected SRT or WebVTT)", code="invalid_subtitles")
    found = [Cue(d.start_s, d.end_s, " ".join(d.parts)) for d in cues]
    return sorted(found, key=lambda c: (c.start_s, c.end_s))


@dataclass
class _Draft:
    """A cue being read: its text parts are joined once at the end (appending stays linear)."""

    start_s: float
    end_s: float
    parts: list[str]


def _parse_block(block: list[tuple[int, str]], cues: list[_Draft], *, name: str, vtt: bool) -> None:
    first = block[0][1].strip()
    if vtt and (first.startswith(("WEBVTT", "NOTE", "STYLE", "REGION"))):
        return
    timing_at = next((i for i, (_, line) in enumerate(block[:2]) if "-->" in line), None)
    if timing_at is None:
        if cues and not vtt:  # text after a stray blank line inside the previous cue
            extra = clean(" ".join(line for _, line in block))
            if extra:
                cues[-1].parts.append(extra)
            return
        if cues or vtt:
            return  # WebVTT allows other blocks; ignore them
        raise InvalidInput(
            f"{name}: line {block[0][0]}: expected a cue timing 'HH:MM:SS,mmm --> HH:MM:SS,mmm', "
            f"got {first[:60]!r}",
            code="invalid_subtitles",
        )
    number, timing = block[timing_at]
    match = TIMING.match(timing)
    if not match:
        raise InvalidInput(f"{name}: line {number}: malformed cue timing {timing.strip()[:80]!r}", code="invalid_subtitles")
    start = _seconds(*match.groups()[:4])
    end = _seconds(*match.groups()[4:])
    if end < start:
        raise InvalidInput(f"{name}: line {number}: cue ends ({end:.3f} s) before it starts ({start:.3f} s)", code="invalid_subtitles")
    body = clean(" ".join(line for _, line in block[timing_at + 1 :]))
    if body:
        cues.append(_Draft(start, end, [body]))
