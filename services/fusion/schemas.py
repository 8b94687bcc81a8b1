"""Request and response models of ``POST /v1/fuse`` (the contract in ARCHITECTURE.md).

A modality is an object with ``scores`` (other fields, e.g. the gateway's ``label``
or ``frames``, are ignored); ``null``, or an object whose ``scores`` is ``null``
(no face, no words, no speech), means the modality is absent for that shot.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator

from emocore.labels import LABELS


class ModalityIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scores: dict[str, float] | None = Field(default=None, description="probabilities per label")

    @field_validator("scores")
    @classmethod
    def _check_scores(cls, scores: dict[str, float] | None) -> dict[str, float] | None:
        if scores is None:
            return None
        unknown = set(scores) - set(LABELS)
        if unknown:
            raise ValueError(f"unknown labels {sorted(unknown)}; use {list(LABELS)}")
        values = list(scores.values())
        if any(not math.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
            raise ValueError("scores must be finite, >= 0 and not all 0")
        return scores


class ShotIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    face: ModalityIn | None = None
    text: ModalityIn | None = None
    audio: ModalityIn | None = None


class FuseRequest(BaseModel):
    shots: list[ShotIn]


class FusedShot(BaseModel):
    label: str | None = Field(description="null when no modality had anything to judge")
    scores: dict[str, float] | None
    needs_review: bool
    review_reason: str | None = None
    modalities_used: list[str]
    method: str = Field(description="'rule' or 'learned:<kind>'")


class FuseResponse(BaseModel):
    shots: list[FusedShot]
