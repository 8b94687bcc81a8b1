"""Subtitle sidecar files of any supported format -> cues: format detection, broadcast formats through ttconv.

Formats, detected by content first, then by the file name's extension:
- EBU-STL (Tech 3264): a 1024-byte GSI block whose disk format code (bytes 3-10)
  is ``STLnn.01``; extension ``.stl``;
- SCC (Scenarist, CEA-608 byte pairs): first line ``Scenarist_SCC``; ``.scc``;
- TTML / IMSC1 / DFXP: an XML document (``<?xml`` or ``<tt``) with a ``tt`` root;
  ``.ttml``, ``.dfxp``, ``.xml``;
- WebVTT (``WEBVTT`` first line) and SRT (a ``-->`` timing line; ``.srt``, ``.vtt``):
  ``gateway.subtitles``.
Anything else is ``UnsupportedMediaType`` (415, ``unsupported_subtitles``) naming
the formats accepted. TTML, STL and SCC are read by ttconv (the reader behind
the IMSC/EBU-STL/SCC conversions used in playout), rendered as SRT by ttconv's
own writer (one cue per change of what is on screen), then read by the SRT
parser, so every format gets the same cleaning and limits. A file ttconv cannot
read is ``InvalidInput`` (422, ``invalid_subtitles``) naming the format and the
problem (XML error with its line, STL block count or truncation, SCC timecode).

Timing: STL cue times are taken relative to the GSI's programme start
timecode (TCP); then, in any format, if the first cue starts at or after
10:00:00:00 (the usual programme start on broadcast tapes and in SCC files),
10 hours are subtracted from every cue.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePath
from typing import Any, Literal

from emocore.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from gateway.subtitles import MAX_CUES, TIMING, Cue, decode_text, parse

Format = Literal["srt", "vtt", "ttml", "stl", "scc"]
EXTENSIONS: dict[str, Format] = {
    ".srt": "srt", ".vtt": "vtt", ".ttml": "ttml", ".dfxp": "ttml", ".xml": "ttml", ".stl": "stl", ".scc": "scc",
}
NAMES = {"srt": "SRT", "vtt": "WebVTT", "ttml": "TTML", "stl": "EBU-STL", "scc": "SCC"}
STL_DFC = re.compile(rb"STL\d\d\.01")
PROGRAMME_START_S = 10 * 3600.0
GSI_BYTES, TTI_BYTES = 1024, 128


def detect(data: bytes, filename: str) -> Format:
    """The format of a subtitle file, by content, else by extension; 415 when neither tells."""
    if len(data) >= GSI_BYTES and STL_DFC.fullmatch(data[3:11]):
        return "stl"
    head = decode_text(data[:4096]).lstrip("\ufeff \t\r\n")
    if head.startswith("Scenarist_SCC"):
        return "scc"
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("<") and "<tt" in head:
        return "ttml"
    if any(TIMING.match(line) for line in head.splitlines()[:20]):
        return "srt"
    extension = EXTENSIONS.get(PurePath(filename).suffix.lower())
    if extension is not None:
        return extension
    raise UnsupportedMediaType(
        f"{filename}: unknown subtitle format; send SRT, WebVTT, TTML/IMSC/DFXP, EBU-STL or SCC",
        code="unsupported_subtitles",
    )


def _malformed(name: str, fmt: Format, problem: str) -> InvalidInput:
    return InvalidInput(f"{name}: malformed {NAMES[fmt]} file: {problem}"[:400], code="invalid_subtitles")


def _ttml(data: bytes, name: str) -> Any:
    from ttconv.imsc import reader

    try:
        tree = ElementTree.parse(io.BytesIO(data))
    except ElementTree.ParseError as exc:
        raise _malformed(name, "ttml", f"XML error ({exc})") from exc
    if not tree.getroot().tag.endswith("}tt"):
        raise _malformed(name, "ttml", f"the root element is {tree.getroot().tag!r}, not a TTML 'tt' element")
    return reader.to_model(tree)


def _stl(data: bytes, name: str) -> Any:
    from ttconv.stl import reader
    from ttconv.stl.config import STLReaderConfiguration

    blocks, rest = divmod(len(data) - GSI_BYTES, TTI_BYTES)
    if rest:
        raise _malformed(name, "stl", f"truncated: {rest} bytes after the last whole {TTI_BYTES}-byte TTI block")
    declared = data[238:243].decode("latin-1").strip()  # TNB: number of TTI blocks
    if not declared.isdigit() or int(declared) != blocks:
        raise _malformed(name, "stl", f"the GSI block declares {declared!r} TTI blocks, the file holds {blocks}")
    return reader.to_model(io.BytesIO(data), STLReaderConfiguration(program_start_tc="TCP"))


def _scc(data: bytes, name: str) -> Any:
    from ttconv.scc import reader

    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate(text.split("\n")[1:], start=2):
        fields = line.split("\t", 1) if "\t" in line else line.split(" ", 1)
        if line.strip() and not re.fullmatch(r"\d{2}:\d{2}:\d{2}[:;.,]\d{2}", fields[0].strip()):
            raise _malformed(name, "scc", f"line {number}: expected a timecode 'HH:MM:SS:FF', got {fields[0][:40]!r}")
        if line.strip() and not re.fullmatch(r"(\s*[0-9a-fA-F]{4})*\s*", fields[1] if len(fields) > 1 else ""):
            raise _malformed(name, "scc", f"line {number}: expected hexadecimal byte pairs after the timecode")
    return reader.to_model(text)


class _Errors(logging.Handler):
    """ttconv's ERROR log records from this thread (it logs, rather than raises, on bad values)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def _ttconv_errors() -> Iterator[_Errors]:
    handler, logger = _Errors(), logging.getLogger("ttconv")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _via_ttconv(data: bytes, fmt: Format, name: str, max_bytes: int, max_cues: int) -> list[Cue]:
    from ttconv.srt import writer

    read = {"ttml": _ttml, "stl": _stl, "scc": _scc}[fmt]
    with _ttconv_errors() as errors:
        try:
            document = read(data, name)
            srt = writer.from_model(document) if document is not None else ""
        except InvalidInput:
            raise
        except Exception as exc:  # ttconv signals bad input with assorted exceptions
            raise _malformed(name, fmt, f"{type(exc).__name__}: {exc}") from exc
    if errors.messages:
        raise _malformed(name, fmt, "; ".join(errors.messages[:3]))
    if not srt.strip():
        raise _malformed(name, fmt, "no subtitle with text and timing found")
    return parse(srt.encode("utf-8"), name=name, max_bytes=max(max_bytes, 4 * len(srt)), max_cues=max_cues)


def _shift(cues: list[Cue]) -> list[Cue]:
    if cues and cues[0].start_s >= PROGRAMME_START_S:
        return [Cue(c.start_s - PROGRAMME_START_S, c.end_s - PROGRAMME_START_S, c.text) for c in cues]
    return cues


def read_cues(
    data: bytes, *, name: str = "subtitles", max_bytes: int = 5 * 1024 * 1024, max_cues: int = MAX_CUES
) -> list[Cue]:
    """Cues of a subtitle file in any supported format, sorted by start time (see the module doc)."""
    if not data.strip():
        raise InvalidInput(f"{name}: empty subtitle file", code="invalid_subtitles")
    fmt = detect(data, name)
    if fmt in ("srt", "vtt"):
        return _shift(parse(data, name=name, max_bytes=max_bytes, max_cues=max_cues))
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"{name}: {len(data)} bytes is over the {max_bytes}-byte limit")
    return _shift(_via_ttconv(data, fmt, name, max_bytes, max_cues))
