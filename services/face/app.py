"""Face service HTTP app: ``POST /v1/predict`` with one or more frames (multipart ``files``)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import numpy as np
from fastapi import Depends, FastAPI, File, Request, UploadFile

from emocore.errors import PayloadTooLarge
from emocore.model import BackendModel
from emocore.service import Route, build_app
from services.face.images import check_pixel_budget, open_frame, to_rgb
from services.face.metrics import FaceMetrics
from services.face.model import FaceEmotionModel
from services.face.schemas import PredictResponse
from services.face.settings import FaceSettings


def get_model(request: Request) -> FaceEmotionModel:
    return request.app.state.served.model


def get_settings(request: Request) -> FaceSettings:
    return request.app.state.settings


ModelDep = Annotated[FaceEmotionModel, Depends(get_model)]
SettingsDep = Annotated[FaceSettings, Depends(get_settings)]


async def predict(
    model: ModelDep,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File(description="JPEG or PNG frames")],
) -> PredictResponse:
    """Detect every face in each frame and classify its emotion; one result per file."""
    if len(files) > settings.max_files:
        raise PayloadTooLarge(f"{len(files)} files is over the limit of {settings.max_files} per request")
    uploads = [(f.filename or f"file {i}", f.content_type, await f.read()) for i, f in enumerate(files)]

    def decode_all() -> list[np.ndarray]:
        opened = [  # every check and every header first: the budget holds before any decoding
            open_frame(
                data,
                filename=name,
                content_type=ctype,
                max_bytes=settings.max_file_bytes,
                max_pixels=settings.max_image_pixels,
            )
            for name, ctype, data in uploads
        ]
        check_pixel_budget(opened, settings.max_request_pixels)
        return [to_rgb(image, filename=name) for image, (name, _, _) in zip(opened, uploads, strict=True)]

    frames = await asyncio.to_thread(decode_all)
    faces = await model.predict(frames)
    return PredictResponse.model_validate(
        {"results": [{"faces": [f.as_dict() for f in frame]} for frame in faces]}
    )


def create_app(settings: FaceSettings | None = None) -> FastAPI:
    settings = settings or FaceSettings()
    metrics = FaceMetrics()
    served = BackendModel(
        settings,
        lambda backend: FaceEmotionModel.from_settings(backend, metrics, settings),
        model_names=(settings.detector_model_name, settings.model_name),
    )
    routes = [Route("POST", "/v1/predict", predict, {"response_model": PredictResponse, "tags": ["face"]})]
    return build_app("Face emotion service", served, settings, metrics, routes)


app = create_app()
