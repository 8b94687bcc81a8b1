"""Response models and the upload's OpenAPI description (the body is parsed as a stream)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Accepted(BaseModel):
    id: str
    status_url: str


class JobStatus(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(ge=0, le=1)
    status_url: str | None = None
    result: dict[str, Any] | None = Field(
        default=None,
        description='{"video": {...}, "text_source", "shots": [{"index", "start_frame", "end_frame", '
        '"start_s", "end_s", "face", "text", "audio", "fused", "errors"?}]}',
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
