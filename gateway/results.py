"""Typed job results: per-shot and whole-video models shared by the pipeline, the CSV export and the API.

``ShotResult`` is what a finished shot is, from the moment the pipeline finishes
it (written to the job store at once) to ``GET /v1/videos/{id}`` (the OpenAPI
schema documents it) and ``result.csv``. Modality sections allow extra fields
(e.g. ``speech_s`` from the audio service), so a service that says more does
not break the gateway. Dump with ``dump()``: fields never set stay absent (an
``errors`` only where a modality failed, a ``reason`` only where one is given),
while a modality that could not run is an explicit ``null``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Scores = dict[str, float]
TextSource = Literal["subtitles", "embedded", "asr"]


class Section(BaseModel):
    model_config = ConfigDict(extra="allow")

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class FaceResult(Section):
    frames: int = Field(description="sampled frames of the shot sent to the face service")
    frames_with_face: int
    label: str | None = Field(description="null: no face in any frame")
    scores: Scores | None
    aggregation: str


class TextResult(Section):
    source: TextSource | None
    lines: list[str] = Field(description="the shot's subtitle or transcript lines, in time order")
    label: str | None = Field(description="null: no words in the shot")
    scores: Scores | None
    language: str | None = Field(default=None, description="ISO 639-1 code of the shot's lines")
    translated: bool | None = Field(default=None, description="true: lines_en (English) were classified")
    lines_en: list[str] | None = Field(default=None, description="English translation of the lines (translated)")
    reason: str | None = Field(default=None, description="why the lines have no label")


class AudioResult(Section):
    speech: bool
    label: str | None = Field(description="null when there is no speech")
    scores: Scores | None
    reason: str | None = Field(default=None, description="why the audio was not analysed")


class FusedResult(Section):
    label: str | None = Field(description="null when no modality had anything to judge")
    scores: Scores | None
    needs_review: bool
    modalities_used: list[str]


class ShotResult(Section):
    index: int
    start_frame: int = Field(description="first frame of the shot")
    end_frame: int = Field(description="last frame of the shot")
    start_s: float
    end_s: float
    transition: Literal["start", "cut", "gradual", "split"]
    confidence: float
    face: FaceResult | None
    text: TextResult | None
    audio: AudioResult | None
    fused: FusedResult | None
    errors: dict[str, str] | None = Field(default=None, description="modality -> why it is null")


class VideoFacts(Section):
    duration_s: float
    fps: float
    width: int
    height: int
    frames: int | None = None
    has_audio: bool | None = None
    complete: bool | None = Field(default=None, description="false: the stream broke off before its end")
    interlaced: bool | None = Field(default=None, description="true: interlaced frames, deinterlaced before sampling")


class JobResult(Section):
    video: VideoFacts
    language: str | None = Field(default=None, description="ISO 639-1 code of the video's text or speech")
    text_source: TextSource | None = None
    audio_track: dict[str, Any] | None = Field(
        default=None, description="the audio track analysed: index (among audio tracks), language, channels, chosen_by"
    )
    settings: dict[str, Any] | None = None
    processing_s: float | None = None
    partial: bool | None = Field(default=None, description="true while the job runs: the shots finished so far")
    processed_s: float | None = Field(default=None, description="video seconds analysed so far (partial)")
    shots: list[ShotResult]
