"""Fusion service HTTP app: ``POST /v1/fuse`` combines per-shot modality scores."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from emocore.errors import ModelNotReady, PayloadTooLarge, ServiceError
from emocore.metrics import ServiceMetrics
from emocore.service import install
from services.fusion.learned import LearnedFuser
from services.fusion.model import FusionModel
from services.fusion.schemas import FuseRequest, FuseResponse
from services.fusion.settings import FusionSettings

log = logging.getLogger(__name__)


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
    model = getattr(request.app.state, "model", None)
    if model is None:
        raise ModelNotReady(getattr(request.app.state, "load_error", "fusion model not loaded"))
    return model


def get_settings(request: Request) -> FusionSettings:
    return request.app.state.settings


ModelDep = Annotated[FusionModel, Depends(get_model)]
SettingsDep = Annotated[FusionSettings, Depends(get_settings)]


def create_app(settings: FusionSettings | None = None) -> FastAPI:
    settings = settings or FusionSettings()
    metrics = ServiceMetrics("fusion")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            app.state.model = build_model(settings)
        except (ServiceError, ValueError) as exc:
            # Stay up but not ready, so the orchestrator and callers see why.
            app.state.model = None
            app.state.load_error = str(getattr(exc, "message", exc))
            log.error("fusion model not loaded: %s", app.state.load_error)
        yield

    app = FastAPI(title="Fusion service", version="1.0", lifespan=lifespan)
    app.state.settings = settings

    async def ready() -> bool:
        return getattr(app.state, "model", None) is not None

    async def fuse(body: FuseRequest, model: ModelDep, settings: SettingsDep) -> FuseResponse:
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

    install(app, metrics, ready, settings)
    app.post("/v1/fuse", response_model=FuseResponse, tags=["fusion"])(fuse)
    return app


app = create_app()
