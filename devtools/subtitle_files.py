"""Broadcast subtitle files written from cues, for tests: TTML (IMSC1), EBU-STL and SCC.

TTML is written by hand (a minimal IMSC1 text document, times in seconds), SCC by
ttconv's SCC writer (pop-on CEA-608 captions at 29.97 drop-frame, rows
wrapped at 32 columns), and EBU-STL
byte by byte after EBU Tech 3264: a GSI block (code page 850, ``STL25.01``, the
programme start timecode ``TCP``) and one 128-byte TTI block per cue (Latin text,
0x8A line break, 0x8F padding). ``offset_s`` adds a start offset to every time
(e.g. 36000 for the common 10:00:00:00 programme start).
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from xml.sax.saxutils import escape

from gateway.subtitles import Cue

TEN_HOURS_S = 36000.0


def _stamp(seconds: float, sep: str = ",") -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def srt_text(cues: Sequence[Cue], offset_s: float = 0.0) -> str:
    return "".join(
        f"{n}\n{_stamp(c.start_s + offset_s)} --> {_stamp(c.end_s + offset_s)}\n{c.text}\n\n"
        for n, c in enumerate(cues, start=1)
    )


def ttml_bytes(cues: Sequence[Cue], offset_s: float = 0.0) -> bytes:
    body = "\n".join(
        f'      <p begin="{c.start_s + offset_s:.3f}s" end="{c.end_s + offset_s:.3f}s">{escape(c.text)}</p>'
        for c in cues
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<tt xmlns="http://www.w3.org/ns/ttml" xml:lang="en">\n'
        f"  <body>\n    <div>\n{body}\n    </div>\n  </body>\n</tt>\n"
    ).encode()


def scc_bytes(cues: Sequence[Cue], offset_s: float = 0.0) -> bytes:
    from ttconv.scc import writer
    from ttconv.srt import reader

    rows = [Cue(c.start_s, c.end_s, "\n".join(textwrap.wrap(c.text, 32))) for c in cues]  # CEA-608: 32 columns
    document = reader.to_model(io.StringIO(srt_text(rows, offset_s)))
    return str(writer.from_model(document)).encode("ascii")


def _timecode(seconds: float, fps: int) -> bytes:
    frames = math.floor(seconds * fps + 0.5)
    return bytes([frames // (3600 * fps), frames // (60 * fps) % 60, frames // fps % 60, frames % fps])


def _field(text: str, size: int) -> bytes:
    return text.encode("latin-1")[:size].ljust(size, b" ")


def stl_bytes(cues: Sequence[Cue], offset_s: float = 0.0, fps: int = 25) -> bytes:
    tcp = _timecode(offset_s, fps)
    gsi = b"".join([
        b"850", f"STL{fps}.01".encode(), b" ", b"00", b"09",  # CPN DFC DSC CCT LC(English)
        _field("test", 32) * 6, _field("", 16), b"261129", b"261129", b"00",  # OPT..TN, TCD, SLR, CD RD RN
        f"{len(cues):05d}".encode(), f"{len(cues):05d}".encode(), b"001", b"40", b"23", b"1",  # TNB TNS TNG MNC MNR TCS
        "".join(f"{v:02d}" for v in tcp).encode(), "".join(f"{v:02d}" for v in _timecode(
            offset_s + (cues[0].start_s if cues else 0.0), fps)).encode(),  # TCP TCF
        b"1", b"1", b"GBR", _field("", 32) * 3, b" " * 75, b" " * 576,
    ])
    assert len(gsi) == 1024, len(gsi)
    blocks = []
    for number, cue in enumerate(cues):
        text = cue.text.encode("latin-1", "replace")[:112].ljust(112, b"\x8f")
        blocks.append(
            bytes([0]) + number.to_bytes(2, "little") + bytes([0xFF, 0])
            + _timecode(cue.start_s + offset_s, fps) + _timecode(cue.end_s + offset_s, fps)
            + bytes([22, 2, 0]) + text
        )
    return gsi + b"".join(blocks)
