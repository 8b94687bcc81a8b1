"""What the audio service serves: speech emotion on the backend and speech-to-text, built from settings.

The service is ready when the emotion model is served and a transcriber loaded;
with no transcriber ``/v1/predict`` works and ``/v1/transcribe`` answers 503 with the
reason. A missing multilingual model leaves speech-to-text English only (logged).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from emocore.errors import ModelNotReady
from emocore.inference import InferenceBackend
from emocore.model import BackendModel
from services.audio.asr import Transcriber
from services.audio.metrics import AudioMetrics
from services.audio.model import AudioEmotionModel
from services.audio.settings import AudioSettings
from services.audio.speech import SpeechToText
from services.audio.vad import SpeechDetector

log = logging.getLogger(__name__)


@dataclass
class AudioModels:
    emotion: AudioEmotionModel
    speech: SpeechToText
    asr_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))


def load_transcriber(settings: AudioSettings, model_dir: Path, beam_size: int) -> Transcriber | None:
    try:
        return Transcriber(
            model_dir, device=settings.asr_device,
            compute_type=settings.asr_compute_type, cpu_threads=settings.asr_cpu_threads,
            workers=settings.asr_workers, language=settings.asr_language,
            beam_size=beam_size, vad_filter=settings.asr_vad_filter,
            min_avg_logprob=settings.asr_min_avg_logprob,
        )
    except ModelNotReady as exc:
        log.error("speech-to-text model not loaded: %s", exc.message)
        return None


def load_speech(settings: AudioSettings) -> SpeechToText:
    """tiny.en for English and, unless disabled, the multilingual model for the rest."""
    english = load_transcriber(settings, settings.resolved_asr_model_dir(), settings.asr_beam_size)
    folder = settings.asr_multilingual_model_dir
    multilingual = (load_transcriber(settings, folder, settings.asr_multilingual_beam_size)
                    if folder is not None else None)
    if multilingual is None:
        log.warning("speech-to-text is English only (no multilingual Whisper; run make models)")
    return SpeechToText(english, multilingual, settings.asr_language, settings.asr_candidate_languages())


def audio_models(settings: AudioSettings, metrics: AudioMetrics) -> BackendModel[AudioModels]:
    """The service's models, loaded at start-up (``emocore.service.build_app``)."""

    def build(backend: InferenceBackend) -> AudioModels:
        detector = SpeechDetector(threshold=settings.vad_threshold, min_speech_s=settings.min_speech_s,
                                  max_tone_purity=settings.max_tone_purity)
        emotion = AudioEmotionModel(backend, detector, metrics, model_name=settings.model_name,
                                    batch_size=settings.batch_size)
        return AudioModels(emotion, load_speech(settings), asyncio.Semaphore(max(1, settings.asr_workers)))

    async def transcriber_loaded(models: AudioModels) -> bool:
        return models.speech.loaded

    return BackendModel(settings, build, model_names=(settings.model_name,), check=transcriber_loaded)
