"""Audio service HTTP app: ``POST /v1/predict`` (speech emotion) and ``POST /v1/transcribe``.

Both take one audio file as the raw request body with its ``Content-Type``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from emocore.errors import ModelNotReady, PayloadTooLarge
from emocore.inference import create_backend
from emocore.service import install
from services.audio.asr import Transcriber
from services.audio.decode import DecodedAudio, decode
from services.audio.metrics import AudioMetrics
from services.audio.model import AudioEmotionModel
from services.audio.schemas import PredictResponse, TranscribeResponse
from services.audio.settings import AudioSettings
from services.audio.vad import SpeechDetector

log = logging.getLogger(__name__)

AUDIO_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "one audio file (WAV, FLAC, MP3, AAC/M4A, Ogg/Opus, WebM, or a video "
        "with an audio track); at most max_duration_s seconds and max_request_bytes bytes",
        "content": {t: {"schema": {"type": "string", "format": "binary"}}
                    for t in ("audio/wav", "audio/flac", "audio/mpeg", "audio/mp4", "video/mp4")},
    }
}


def get_settings(request: Request) -> AudioSettings:
    return request.app.state.settings


def get_model(request: Request) -> AudioEmotionModel:
    return request.app.state.model


def get_transcriber(request: Request) -> Transcriber:
    transcriber = request.app.state.transcriber
    if transcriber is None:
        raise ModelNotReady("speech-to-text model is not loaded; see the service log")
    return transcriber


SettingsDep = Annotated[AudioSettings, Depends(get_settings)]


async def read_audio(request: Request, settings: SettingsDep) -> DecodedAudio:
    """The request body (read up to the byte limit), decoded to 16 kHz mono."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > settings.max_request_bytes:
            raise PayloadTooLarge(f"request body is over the {settings.max_request_bytes}-byte limit")
        chunks.append(chunk)
    return await asyncio.to_thread(
        decode, b"".join(chunks), request.headers.get("content-type"),
        max_bytes=settings.max_request_bytes, max_duration_s=settings.max_duration_s,
    )


AudioDep = Annotated[DecodedAudio, Depends(read_audio)]


async def predict(audio: AudioDep, model: Annotated[AudioEmotionModel, Depends(get_model)]) -> PredictResponse:
    """Speech emotion of the segment; label and scores are null when it holds no speech."""
    emotion = await model.predict(audio.samples)
    return PredictResponse.model_validate(emotion.as_dict())


async def transcribe(
    request: Request, audio: AudioDep, transcriber: Annotated[Transcriber, Depends(get_transcriber)]
) -> TranscribeResponse:
    """Timestamped text of the speech (English with the default model)."""
    async with request.app.state.asr_slots:
        transcript = await asyncio.to_thread(transcriber.transcribe, audio.samples)
    request.app.state.metrics.count_items("transcribed_seconds", audio.duration_s)
    return TranscribeResponse.model_validate(
        {"language": transcript.language,
         "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in transcript.segments]}
    )


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


def create_app(settings: AudioSettings | None = None) -> FastAPI:
    settings = settings or AudioSettings()
    metrics = AudioMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backend = create_backend(settings)
        detector = SpeechDetector(threshold=settings.vad_threshold, min_speech_s=settings.min_speech_s,
                                  max_tone_purity=settings.max_tone_purity)
        app.state.model = AudioEmotionModel(backend, detector, metrics, model_name=settings.model_name,
                                            batch_size=settings.batch_size)
        app.state.transcriber = await asyncio.to_thread(load_transcriber, settings)
        app.state.asr_slots = asyncio.Semaphore(max(1, settings.asr_workers))
        try:
            yield
        finally:
            await backend.close()

    app = FastAPI(title="Audio emotion and speech-to-text service", version="1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.metrics = metrics

    async def ready() -> bool:
        model = getattr(app.state, "model", None)
        if model is None or getattr(app.state, "transcriber", None) is None:
            return False
        return await model.backend.is_ready(settings.model_name)

    install(app, metrics, ready, settings)
    app.post("/v1/predict", response_model=PredictResponse, tags=["audio"],
             openapi_extra=AUDIO_BODY)(predict)
    app.post("/v1/transcribe", response_model=TranscribeResponse, tags=["audio"],
             openapi_extra=AUDIO_BODY)(transcribe)
    return app


app = create_app()
