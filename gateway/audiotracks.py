"""Which audio track of a video a job analyses: the request's choice, else the track with the most speech.

``tracks(path)`` lists the audio streams (``index`` counts audio streams only, 0 =
the first; ``language`` from the stream's tag, ``default`` from its disposition).
The ``audio_track`` form field names one by index (``"1"``) or by language tag
(``"eng"``, compared case-insensitively with the stream's tag; an ISO 639-1 code
such as ``"en"`` also names its ISO 639-2 tags); ``requested`` checks
it at upload (422 ``invalid_audio_track`` naming the tracks there are).

Default rule, when the request names none and the file has several tracks: the
first ``SAMPLE_S`` seconds of each track (16 kHz mono) go to the audio service,
whose speech detection (Silero VAD, tones rejected) says how many seconds of
speech it heard (``speech_s``); the track with the most wins. Ties (e.g. no
speech anywhere, or the service down) go to the track whose disposition is
``default``, then to the lowest index. Tracks flagged as audio description
(disposition ``visual_impaired`` or ``descriptions``) or commentary are only chosen when named. A file with one
track uses it without a check.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.stream import Disposition

from emocore.errors import InvalidInput
from gateway import modalities
from gateway.clients import ServiceClients
from gateway.downstream import DownstreamError

SAMPLE_S = 30.0
# ISO 639-1 -> its ISO 639-2 codes (bibliographic and terminology), so "en" names a track tagged "eng".
ISO639 = {
    "en": ("eng",), "fr": ("fre", "fra"), "de": ("ger", "deu"), "nl": ("dut", "nld"), "es": ("spa",),
    "it": ("ita",), "pt": ("por",), "sv": ("swe",), "da": ("dan",), "no": ("nor",), "fi": ("fin",),
    "pl": ("pol",), "cs": ("cze", "ces"), "el": ("gre", "ell"), "ru": ("rus",), "tr": ("tur",),
    "ar": ("ara",), "zh": ("chi", "zho"), "ja": ("jpn",), "ko": ("kor",), "cy": ("wel", "cym"),
}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioTrack:
    index: int  # among the audio streams
    language: str | None
    channels: int
    default: bool
    secondary: bool  # audio description or commentary

    def describe(self) -> dict[str, Any]:
        """What the result says about the track used."""
        return {"index": self.index, "language": self.language, "channels": self.channels}


@dataclass(frozen=True)
class Choice:
    index: int  # the audio track to decode
    described: dict[str, Any]  # what the result says: index, language, channels, chosen_by (, speech_s)


def tracks(path: str | Path) -> list[AudioTrack]:
    with av.open(str(path)) as container:
        found = []
        for index, stream in enumerate(container.streams.audio):
            flags = stream.disposition
            found.append(AudioTrack(
                index=index,
                language=(stream.metadata.get("language") or "").lower() or None,
                channels=stream.codec_context.channels if stream.codec_context is not None else 0,
                default=bool(flags & Disposition.default),
                secondary=bool(flags & (Disposition.visual_impaired | Disposition.comment | Disposition.descriptions)),
            ))
        return found


def requested(found: list[AudioTrack], value: str) -> AudioTrack:
    """The track the ``audio_track`` field names (an index or a language tag); 422 when none matches."""
    value = value.strip()
    match = (
        [t for t in found if t.index == int(value)] if value.isdigit()
        else [t for t in found if t.language in (value.lower(), *ISO639.get(value.lower(), ()))]
    )
    if match:
        return match[0]
    there = ", ".join(f"{t.index} ({t.language or 'no language tag'})" for t in found) or "none"
    raise InvalidInput(f"audio_track {value[:40]!r} matches no audio track; the video has: {there}",
                       code="invalid_audio_track")


def sample(path: str | Path, index: int, seconds: float = SAMPLE_S) -> np.ndarray:
    """The first ``seconds`` of audio track ``index`` as 16 kHz mono float32."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=modalities.AUDIO_RATE)
    pieces, total, limit = [], 0, int(seconds * modalities.AUDIO_RATE)
    with av.open(str(path)) as container:
        try:
            for frame in container.decode(container.streams.audio[index]):
                for out in resampler.resample(frame):
                    pieces.append(out.to_ndarray().reshape(-1))
                    total += pieces[-1].shape[0]
                if total >= limit:
                    break
        except av.error.FFmpegError:
            pass  # a broken tail: what was decoded stands
    return np.concatenate(pieces)[:limit] if pieces else np.zeros(0, np.float32)


async def _speech_s(clients: ServiceClients, path: Path, track: AudioTrack) -> float:
    audio = await asyncio.to_thread(sample, path, track.index)
    if not len(audio):
        return 0.0
    try:
        body = await clients.audio_emotion(modalities.wav_bytes(audio))
    except DownstreamError as exc:
        log.warning("audio track %d: no speech check (%s)", track.index, exc.reason)
        return 0.0
    return float(body.get("speech_s") or (SAMPLE_S if body.get("speech") else 0.0))


async def choose(clients: ServiceClients, path: Path, wanted: str | None) -> Choice | None:
    """The track to analyse and how it was chosen; None: no audio track."""
    found = await asyncio.to_thread(tracks, path)
    if not found:
        return None
    if wanted:
        how: dict[str, Any] = {"chosen_by": "request"}
        track = requested(found, wanted)
    elif len(found) == 1:
        track, how = found[0], {"chosen_by": "only_track"}
    else:
        candidates = [t for t in found if not t.secondary] or found
        speech = {t.index: await _speech_s(clients, path, t) for t in candidates}
        track = max(candidates, key=lambda t: (round(speech[t.index], 1), t.default, -t.index))
        how = {"chosen_by": "speech", "speech_s": {str(i): round(s, 2) for i, s in speech.items()}}
    return Choice(track.index, {**track.describe(), **how})

