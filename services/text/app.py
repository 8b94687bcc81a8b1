"""Text service HTTP app: ``POST /v1/predict`` with ``{"texts": [...], "contexts": [[...], ...]}``
(contexts optional), many lines per request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from emocore.inference import InferenceBackend
from emocore.metrics import ServiceMetrics
from emocore.model import BackendModel
from emocore.service import Route, build_app
from services.text.model import TextEmotionModel
from services.text.schemas import PredictRequest, PredictResponse
from services.text.settings import TextSettings


def get_model(request: Request) -> TextEmotionModel:
    return request.app.state.served.model


ModelDep = Annotated[TextEmotionModel, Depends(get_model)]


async def predict(body: PredictRequest, model: ModelDep) -> PredictResponse:
    """Emotion scores for each line, in order.

    Lines are cut at the token limit (``truncated: true``); empty or whitespace-only
    lines get 422 naming their index; more lines than the limit get 413. ``contexts``,
    when given, holds one list of preceding lines per line (else 422).
    """
    predictions = await model.predict(body.texts, body.contexts)
    return PredictResponse.model_validate({"predictions": [p.as_dict() for p in predictions]})


def create_app(settings: TextSettings | None = None) -> FastAPI:
    settings = settings or TextSettings()
    metrics = ServiceMetrics("text")

    def build(backend: InferenceBackend) -> TextEmotionModel:
        return TextEmotionModel(
            backend,
            metrics,
            tokenizer_path=settings.resolved_tokenizer_path(),
            model_name=settings.model_name,
            max_tokens=settings.max_tokens,
            max_context_tokens=settings.max_context_tokens,
            max_lines=settings.max_lines,
            batch_size=settings.batch_size,
        )

    served = BackendModel(settings, build, check=TextEmotionModel.is_ready)
    routes = [Route("POST", "/v1/predict", predict, {"response_model": PredictResponse, "tags": ["text"]})]
    return build_app("Text emotion service", served, settings, metrics, routes)


app = create_app()
