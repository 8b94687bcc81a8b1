"""What the audio service serves: speech emotion on the backend and speech-to-text, built from settings.

The service is ready when the emotion model is served and the transcriber loaded;
a transcriber that cannot load leaves ``/v1/predict`` working and ``/v1/transcribe``
answering 503 with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from emocore.errors import ModelNotReady
from emocore.inference import InferenceBackend
from emocore.model import BackendModel
from services.audio.asr import Transcriber
from services.audio.metrics import AudioMetrics
from services.audio.model import AudioEmotionModel
from services.audio.settings import AudioSettings
from services.audio.vad import SpeechDetector

log = logging.getLogger(__name__)


@dataclass
class AudioModels:
    emotion: AudioEmotionModel
    transcriber: Transcriber | None
    asr_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))

    def require_transcriber(self) -> Transcriber:
        if self.transcriber is None:
            raise ModelNotReady("speech-to-text model is not loaded; see the service log")
        return self.transcriber


def load_transcriber(settings: AudioSettings) -> Transcriber | None:
    try:
        return Transcriber(
            settings.resolved_asr_model_dir(), device=settings.asr_device,
            compute_type=settings.asr_compute_type, cpu_threads=settings.asr_cpu_threads,
            workers=settings.asr_workers, language=settings.asr_language,
            beam_size=settings.asr_beam_size, vad_filter=settings.asr_vad_filter,
            min_avg_logprob=settings.asr_min_avg_logprob,
        )
    except ModelNotReady as exc:
        log.error("speech-to-text disabled: %s", exc.message)
        return None


def audio_models(settings: AudioSettings, metrics: AudioMetrics) -> BackendModel[AudioModels]:
    """The service's models, loaded at start-up (``emocore.service.build_app``)."""

    def build(backend: InferenceBackend) -> AudioModels:
        detector = SpeechDetector(threshold=settings.vad_threshold, min_speech_s=settings.min_speech_s,
                                  max_tone_purity=settings.max_tone_purity)
        emotion = AudioEmotionModel(backend, detector, metrics, model_name=settings.model_name,
                                    batch_size=settings.batch_size)
        return AudioModels(emotion, load_transcriber(settings), asyncio.Semaphore(max(1, settings.asr_workers)))

    async def transcriber_loaded(models: AudioModels) -> bool:
        return models.transcriber is not None

    return BackendModel(settings, build, model_names=(settings.model_name,), check=transcriber_loaded)
