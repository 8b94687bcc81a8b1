"""Speech-to-text in any language: which Whisper model reads the speech, and its English translation.

Two models, both optional: Whisper tiny.en (English only; as fast as the smallest
multilingual model and more accurate on English, so English transcripts stay what
they were) and a multilingual Whisper (``base`` from registry packages, assembled
by ``make models``). With the multilingual model loaded, the language is detected
first (Whisper's own detector, on the first 30 s of each request, among the
deployment's languages when it names them); English goes to
tiny.en, any other language to the multilingual model, in that language. With
``translate`` the speech is also decoded with Whisper's translate task, giving
English text next to the original (for English, the transcript itself). Without the
multilingual model every request is read as English, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faster_whisper.tokenizer import _LANGUAGE_CODES

from emocore.errors import InvalidInput, ModelNotReady
from services.audio.asr import Segment, Transcriber

LANGUAGES = frozenset(_LANGUAGE_CODES)
SILENT_PEAK = 1e-3  # loudest sample (full scale 1.0) below which audio holds no words: -60 dBFS


def silent(samples: np.ndarray) -> bool:
    """Whether no sample reaches ``SILENT_PEAK``: nothing to read. Whisper, asked for a language or a
    transcript of digital silence, guesses (a Norwegian string of digits, seen on one machine)."""
    return not len(samples) or float(np.abs(samples).max()) < SILENT_PEAK


@dataclass(frozen=True)
class SpeechText:
    language: str
    segments: list[Segment]
    translation: list[Segment] | None  # English segments; None unless asked for


@dataclass
class SpeechToText:
    english: Transcriber | None
    multilingual: Transcriber | None
    language: str | None = None  # EMO_AUDIO_ASR_LANGUAGE: every request in this language, no detection
    candidates: frozenset[str] | None = None  # EMO_AUDIO_ASR_LANGUAGES: detection picks one of these

    @property
    def loaded(self) -> bool:
        return self.english is not None or self.multilingual is not None

    def read(self, samples: np.ndarray, *, translate: bool = False, language: str | None = None) -> SpeechText:
        """The speech's language, its transcript, and (``translate``) its English text. Blocking.

        ``language`` (ISO 639-1) skips detection, e.g. when subtitles tell the language;
        InvalidInput when Whisper does not know it.
        """
        if language is not None and language not in LANGUAGES:
            raise InvalidInput(f"language '{language}' is not one Whisper reads (ISO 639-1 codes)")
        if not self.loaded:
            raise ModelNotReady("speech-to-text model is not loaded; see the service log")
        if silent(samples):
            return SpeechText(language or self.language or "en", [], [] if translate else None)
        if self.multilingual is None:  # English only: a language hint changes nothing
            assert self.english is not None
            transcript = self.english.transcribe(samples)
            return SpeechText(transcript.language, transcript.segments,
                              transcript.segments if translate else None)
        language = language or self.language or self.multilingual.detect_language(samples, self.candidates)
        reader = self.english if language == "en" and self.english is not None else self.multilingual
        segments = reader.transcribe(samples, language=language).segments
        translation = None
        if translate:
            translation = segments if language == "en" else self.multilingual.transcribe(
                samples, language=language, translate=True
            ).segments
        return SpeechText(language, segments, translation)
