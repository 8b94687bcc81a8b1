"""Text service HTTP app: ``POST /v1/predict`` with ``{"texts": [...]}``, many lines per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from emocore.inference import create_backend
from emocore.metrics import ServiceMetrics
from emocore.service import install
from services.text.model import TextEmotionModel
from services.text.schemas import PredictRequest, PredictResponse
from services.text.settings import TextSettings


def get_model(request: Request) -> TextEmotionModel:
    return request.app.state.model


ModelDep = Annotated[TextEmotionModel, Depends(get_model)]


async def predict(body: PredictRequest, model: ModelDep) -> PredictResponse:
    """Emotion scores for each line, in order.

    Lines are cut at the token limit (``truncated: true``); empty or whitespace-only
    lines get 422 naming their index; more lines than the limit get 413.
    """
    predictions = await model.predict(body.texts)
    return PredictResponse.model_validate({"predictions": [p.as_dict() for p in predictions]})


def create_app(settings: TextSettings | None = None) -> FastAPI:
    settings = settings or TextSettings()
    metrics = ServiceMetrics("text")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backend = create_backend(settings)
        app.state.model = TextEmotionModel(
            backend,
            metrics,
            tokenizer_path=settings.resolved_tokenizer_path(),
            model_name=settings.model_name,
            max_tokens=settings.max_tokens,
            max_lines=settings.max_lines,
            batch_size=settings.batch_size,
        )
        try:
            yield
        finally:
            await backend.close()

    app = FastAPI(title="Text emotion service", version="1.0", lifespan=lifespan)
    app.state.settings = settings

    async def ready() -> bool:
        model: TextEmotionModel | None = getattr(app.state, "model", None)
        return model is not None and await model.is_ready()

    install(app, metrics, ready, settings)
    app.post("/v1/predict", response_model=PredictResponse, tags=["text"])(predict)
    return app


app = create_app()
