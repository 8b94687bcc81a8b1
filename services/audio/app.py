"""Audio service HTTP app: ``POST /v1/predict`` (speech emotion) and ``POST /v1/transcribe``.

Both take one audio file as the raw request body with its ``Content-Type``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request

from emocore.errors import PayloadTooLarge
from emocore.service import Route, build_app
from services.audio.asr import Segment
from services.audio.decode import DecodedAudio, decode
from services.audio.metrics import AudioMetrics
from services.audio.schemas import PredictResponse, TranscribeResponse
from services.audio.serving import AudioModels, audio_models
from services.audio.settings import AudioSettings

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


def get_models(request: Request) -> AudioModels:
    return request.app.state.served.model


SettingsDep = Annotated[AudioSettings, Depends(get_settings)]
ModelsDep = Annotated[AudioModels, Depends(get_models)]


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


async def predict(audio: AudioDep, models: ModelsDep) -> PredictResponse:
    """Speech emotion of the segment; label and scores are null when it holds no speech."""
    emotion = await models.emotion.predict(audio.samples)
    return PredictResponse.model_validate(emotion.as_dict())


def _segments(segments: list[Segment]) -> list[dict[str, Any]]:
    return [{"start": s.start, "end": s.end, "text": s.text} for s in segments]


async def transcribe(request: Request, audio: AudioDep, models: ModelsDep,
                     translate: Annotated[bool, Query(description="add the English translation")] = False,
                     language: Annotated[str | None, Query(
                         description="ISO 639-1 code of the speech when known; detected otherwise")] = None,
                     ) -> TranscribeResponse:
    """Timestamped text of the speech in its detected language; ``?translate=true`` adds English."""
    async with models.asr_slots:
        text = await asyncio.to_thread(models.speech.read, audio.samples, translate=translate,
                                      language=language)
    request.app.state.metrics.count_items("transcribed_seconds", audio.duration_s)
    body: dict[str, Any] = {"language": text.language, "segments": _segments(text.segments)}
    if text.translation is not None:
        body["translation"] = _segments(text.translation)
    return TranscribeResponse.model_validate(body)


def create_app(settings: AudioSettings | None = None) -> FastAPI:
    settings = settings or AudioSettings()
    metrics = AudioMetrics()
    options: dict[str, Any] = {"tags": ["audio"], "openapi_extra": AUDIO_BODY}
    routes = [
        Route("POST", "/v1/predict", predict, {"response_model": PredictResponse, **options}),
        Route("POST", "/v1/transcribe", transcribe,
              {"response_model": TranscribeResponse, "response_model_exclude_none": True, **options}),
    ]
    return build_app(
        "Audio emotion and speech-to-text service", audio_models(settings, metrics), settings, metrics, routes
    )


app = create_app()
