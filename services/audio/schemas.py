"""Response models of the audio service (the contract in ARCHITECTURE.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PredictResponse(BaseModel):
    label: str | None = Field(
        description="top emotion of the speech; null when the segment has no speech"
    )
    scores: dict[str, float] | None = Field(
        description="probabilities over the seven labels (sum to 1); null when there is no speech"
    )
    speech: bool = Field(description="whether speech was detected (silence, tones, music: false)")
    duration_s: float = Field(description="duration of the decoded audio in seconds")
    speech_s: float = Field(description="seconds of detected speech the emotion was judged on")


class SegmentOut(BaseModel):
    start: float = Field(description="seconds from the start of the uploaded audio")
    end: float
    text: str


class TranscribeResponse(BaseModel):
    language: str = Field(description="ISO 639-1 code of the detected language ('en' when the "
                          "service is English only)")
    segments: list[SegmentOut] = Field(description="the speech in its own language")
    translation: list[SegmentOut] | None = Field(
        None, description="English translation (Whisper's translate task), with ?translate=true; "
        "for English speech the segments themselves")
