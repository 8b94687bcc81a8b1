"""Subtitle streams embedded in the container (mov_text in MP4, subrip/ass/webvtt in MKV).

Only text subtitle codecs are read (bitmap ones such as DVD or PGS would need OCR).
The first text stream is used, or the first whose language tag matches the one
asked for. Packets are demuxed without decoding any video, so this pass is cheap.
A stream with more than ``max_cues`` cues is refused (PayloadTooLarge), as a sidecar
file is: the container puts no other bound on it.
"""

from __future__ import annotations

import re

import av

from emocore.errors import InvalidInput, PayloadTooLarge
from gateway.subtitles import MAX_CUES, Cue, clean

TEXT_CODECS = {"subrip", "srt", "mov_text", "ass", "ssa", "webvtt", "text"}
ASS_BREAK = re.compile(r"\\[Nnh]")


def _text_stream(container: av.container.InputContainer, language: str | None) -> av.stream.Stream | None:
    streams = [s for s in container.streams.subtitles if s.codec_context.name in TEXT_CODECS]
    if language:
        tagged = [s for s in streams if (s.metadata.get("language") or "").lower() == language.lower()]
        streams = tagged or streams
    return streams[0] if streams else None


def embedded_cues(path: str, *, language: str | None = None, max_cues: int = MAX_CUES) -> list[Cue] | None:
    """The cues of the container's text subtitle stream; None when it has none."""
    try:
        with av.open(path) as container:
            stream = _text_stream(container, language)
            if stream is None:
                return None
            cues = []
            for packet in container.demux(stream):
                if packet.size == 0 or packet.pts is None or packet.time_base is None:
                    continue
                start = float(packet.pts * packet.time_base)
                end = start + float((packet.duration or 0) * packet.time_base)
                for subtitle in stream.codec_context.decode(packet):  # type: ignore[attr-defined]
                    raw = getattr(subtitle, "dialogue", None) or getattr(subtitle, "text", b"") or b""
                    text = clean(ASS_BREAK.sub(" ", raw.decode("utf-8", "replace")))
                    if text:
                        cues.append(Cue(start, max(start, end), text))
                if len(cues) > max_cues:
                    raise PayloadTooLarge(f"the embedded subtitle stream has more than {max_cues} cues (the limit)")
    except av.FFmpegError as exc:
        raise InvalidInput(f"cannot read the embedded subtitles ({exc.strerror})", code="invalid_subtitles") from exc
    return sorted(cues, key=lambda c: (c.start_s, c.end_s))
