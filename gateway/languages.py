"""Languages of a video's text: which language each shot's lines are in, and what is classified.

Transcripts are the audio service's text of the speech, in its detected language,
with Whisper's English translation (``segment_cues``); ``gateway/textstream.py``
requests them chunk by chunk and gives each shot its ``shot_text``.

The text model reads English only. So each shot's lines get a language and a route:
- English lines are classified as they are;
- lines in another language are classified through their English translation when
  there is one: the speech's own translation by Whisper (translate task, audio
  service ``/v1/transcribe?translate=true``) when the text is the transcript;
- lines with no English route (subtitles in another language) get ``label: null``
  and a ``reason``; an English model's guess on Dutch words would be noise.

The language of subtitle text is identified with py3langid (its model ships in the
package): once over all the video's lines, and per shot, where a shot's own lines
decide only when identified confidently (short lines like "Okay." are not).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.assign import Line, TimeSpan, assign_lines, texts
from gateway.subtitles import Cue

ENGLISH = "en"
MIN_SHOT_CHARS = 15  # shot text shorter than this keeps the video's language
MIN_SHOT_CONFIDENCE = 0.9  # normalised langid probability a shot needs to differ


@dataclass(frozen=True)
class VideoText:
    """A video's text, its language, and its English translation (transcripts only)."""

    source: str | None
    cues: list[Cue]
    language: str | None
    cues_en: list[Cue] | None = None


@dataclass(frozen=True)
class ShotText:
    language: str | None
    lines: list[Line]  # as the source has them
    lines_en: list[Line] | None  # English lines classified instead (translated text)
    reason: str | None  # why the lines are not classified

    @property
    def to_classify(self) -> list[Line]:
        if self.reason is not None:
            return []
        return self.lines_en if self.lines_en is not None else self.lines


class LanguageIdentifier:
    """py3langid's model, loaded once (about 2 s: the gateway does it at start-up) and shared; thread-safe."""

    _lock = threading.Lock()
    _model: Any = None

    @classmethod
    def load(cls) -> None:
        with cls._lock:
            cls._load()

    @classmethod
    def _load(cls) -> Any:
        if cls._model is None:
            from py3langid.langid import MODEL_FILE
            from py3langid.langid import LanguageIdentifier as Identifier

            cls._model = Identifier.from_model_file(MODEL_FILE, norm_probs=True)
        return cls._model

    @classmethod
    def classify(cls, text: str) -> tuple[str, float]:
        with cls._lock:
            code, probability = cls._load().classify(text)
        return str(code), float(probability)


def segment_cues(segments: list[dict[str, Any]], offset: float) -> list[Cue]:
    """Cues of the audio service's transcript segments, ``offset`` seconds into the video."""
    cues = []
    for segment in segments:
        text = " ".join(str(segment.get("text", "")).split())
        if text:
            cues.append(Cue(offset + float(segment["start"]), offset + float(segment["end"]), text))
    return cues


def text_language(lines: Sequence[str]) -> str | None:
    """ISO 639-1 code of the lines taken together; None when there is no text."""
    text = " ".join(lines).strip()
    return LanguageIdentifier.classify(text)[0] if text else None


def shot_language(lines: Sequence[str], video_language: str | None) -> str | None:
    text = " ".join(lines).strip()
    if len(text) < MIN_SHOT_CHARS:
        return video_language if lines else None
    code, probability = LanguageIdentifier.classify(text)
    return code if probability >= MIN_SHOT_CONFIDENCE or video_language is None else video_language


def shot_texts(text: VideoText, shots: Sequence[TimeSpan]) -> list[ShotText]:
    """Per shot: its lines, their language, and the English lines to classify (or why none)."""
    per_shot = assign_lines(text.cues, shots)
    translated = text.cues_en is not None and text.language not in (None, ENGLISH)
    per_shot_en = assign_lines(text.cues_en or [], shots) if translated else None
    return [
        shot_text(lines, per_shot_en[index] if per_shot_en is not None else None, text.source, text.language)
        for index, lines in enumerate(per_shot)
    ]


def shot_text(lines: list[Line], lines_en: list[Line] | None, source: str | None, video_language: str | None
              ) -> ShotText:
    """One shot's lines, their language, and the English lines to classify (``lines_en``: its
    translated speech, None when there is no translation) or why none."""
    language = shot_language(texts(lines), video_language) if source != "asr" else video_language
    if not lines or language == ENGLISH:
        return ShotText(language if lines else video_language, lines, None, None)
    if lines_en is not None and language == video_language:
        reason = None if lines_en else "no English translation of this shot's speech"
        return ShotText(language, lines, lines_en, reason)
    reason = f"no text model reads language '{language}' and there is no English translation"
    return ShotText(language, lines, None, reason)


def text_result(base: dict[str, Any], shot: ShotText) -> dict[str, Any]:
    """A shot's text result (gateway/modalities.py) with its language and translation fields."""
    result = {**base, "language": shot.language, "lines": texts(shot.lines)}
    if shot.lines_en is not None:
        result.update(translated=True, lines_en=texts(shot.lines_en))
    if shot.reason is not None:
        result.update(label=None, scores=None, reason=shot.reason)
    return result
