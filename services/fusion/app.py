"""Fusion service HTTP app: ``POST /v1/fuse`` combines per-shot modality scores."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from emocore.errors import PayloadTooLarge
from emocore.metrics import ServiceMetrics
from emocore.model import LocalModel
from emocore.service import Route, build_app
from services.fusion.learned import LearnedFuser
from services.fusion.model import FusionModel
from services.fusion.schemas import FuseRequest, FuseResponse
from services.fusion.settings import FusionSettings


def build_model(settings: FusionSettings) -> FusionModel:
    """The rule from settings, with the learned model when one is configured."""
    learned = LearnedFuser.load(settings.learned_model) if settings.learned_model else None
    return FusionModel(
        settings.weights(),
        settings.temperatures(),
        review_confidence=settings.review_confidence,
        review_divergence=settings.review_divergence,
        learned=learned,
    )


def get_model(request: Request) -> FusionModel:
    return request.app.state.served.model


def get_settings(request: Request) -> FusionSettings:
    return request.app.state.settings


def get_metrics(request: Request) -> ServiceMetrics:
    return request.app.state.metrics


ModelDep = Annotated[FusionModel, Depends(get_model)]
SettingsDep = Annotated[FusionSettings, Depends(get_settings)]
MetricsDep = Annotated[ServiceMetrics, Depends(get_metrics)]


async def fuse(body: FuseRequest, model: ModelDep, settings: SettingsDep, metrics: MetricsDep) -> FuseResponse:
    """Fuse each shot's present modalities into one label, scores and a review flag."""
    if len(body.shots) > settings.max_shots:
        raise PayloadTooLarge(f"{len(body.shots)} shots is over the limit of {settings.max_shots}")
    shots = [
        {m: (getattr(shot, m).scores if getattr(shot, m) else None) for m in ("face", "text", "audio")}
        for shot in body.shots
    ]
    results = model.fuse(shots)
    metrics.count_items("shots", len(results))
    return FuseResponse.model_validate({"shots": [r.as_dict() for r in results]})


def create_app(settings: FusionSettings | None = None) -> FastAPI:
    settings = settings or FusionSettings()
    served = LocalModel(lambda: build_model(settings))
    routes = [Route("POST", "/v1/fuse", fuse, {"response_model": FuseResponse, "tags": ["fusion"]})]
    return build_app("Fusion service", served, settings, ServiceMetrics("fusion"), routes)


app = create_app()
