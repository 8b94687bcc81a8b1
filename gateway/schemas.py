"""Response models and the upload's OpenAPI description (the body is parsed as a stream)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway.results import JobResult


class Accepted(BaseModel):
    id: str
    status_url: str


class JobStatus(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(ge=0, le=1, description="share of the video's time analysed")
    status_url: str | None = None
    result: JobResult | None = Field(
        default=None,
        description="once done, the whole result; while running, the shots finished so far with partial: true",
    )
    error: str | None = None


UPLOAD_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "video": {"type": "string", "format": "binary", "description": "the video file"},
                        "subtitles": {
                            "type": "string",
                            "format": "binary",
                            "description": "optional SRT or WebVTT sidecar file",
                        },
                        "video_url": {
                            "type": "string",
                            "description": "instead of 'video': a URL on the configured allow-list",
                        },
                        "webhook_url": {
                            "type": "string",
                            "description": "POSTed the final status JSON (allow-listed hosts only)",
                        },
                    },
                }
            }
        },
    }
}
