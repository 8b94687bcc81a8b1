"""Response models of the face service (the contract in ARCHITECTURE.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FaceOut(BaseModel):
    box: list[int] = Field(description="[x, y, w, h] in pixels of the uploaded frame")
    primary: bool = Field(description="true for the largest face of the frame")
    label: str
    scores: dict[str, float]


class FrameResult(BaseModel):
    faces: list[FaceOut]


class PredictResponse(BaseModel):
    results: list[FrameResult] = Field(description="one result per uploaded file, in order")
