"""Response models and the OpenAPI description of the jobs API, with examples.

The upload body is parsed as a stream (``gateway/uploads.py``), so its multipart
schema is written out here rather than derived from function parameters.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.job import STATUSES
from gateway.results import JobResult

JOB_ID = "3f2b9c0e8d7a4b6c9e1f0a2b3c4d5e6f"
METADATA_EXAMPLE = {"asset_id": "MAM-2026-000417", "title": "Evening news, 28 Nov", "priority": 2}
VIDEO_EXAMPLE = {"duration_s": 1284.48, "fps": 25.0, "width": 1920, "height": 1080}
IDEMPOTENCY_DOC = (
    "optional, 1-200 printable ASCII characters (a UUID is a good choice). Retrying with the same key "
    "and the same content within EMO_GATEWAY_IDEMPOTENCY_TTL_S (24 h) returns the original job (same "
    "id, same status code, header `Idempotent-Replayed: true`) and starts no new work; the same key "
    "with different content gets 409 `idempotency_key_reused`."
)


class Accepted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"id": JOB_ID, "status_url": f"/v1/videos/{JOB_ID}"}})

    id: str
    status_url: str


class JobSummary(BaseModel):
    """A job without its result: what the list shows."""

    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float = Field(ge=0, le=1, description="share of the video's time analysed")
    status_url: str | None = None
    created_at: str | None = Field(default=None, description="ISO 8601 UTC, when the job was submitted")
    updated_at: str | None = Field(default=None, description="ISO 8601 UTC, last change of status or progress")
    expires_at: str | None = Field(
        default=None,
        description="ISO 8601 UTC, when the job's result and files are deleted "
        "(EMO_GATEWAY_RESULT_RETENTION_S after it ended; null while it is queued or running)",
    )
    video: dict[str, Any] | None = Field(default=None, description="facts probed at upload: duration_s, fps, width, height")
    metadata: dict[str, Any] | None = Field(default=None, description="the client's metadata object, as submitted")
    error: str | None = None


SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": JOB_ID, "status": "running", "progress": 0.42, "status_url": f"/v1/videos/{JOB_ID}",
    "created_at": "2026-11-28T21:40:00.000Z", "updated_at": "2026-11-28T21:41:12.250Z", "expires_at": None,
    "video": VIDEO_EXAMPLE, "metadata": METADATA_EXAMPLE,
}
DONE_EXAMPLE: dict[str, Any] = {
    **SUMMARY_EXAMPLE, "status": "done", "progress": 1.0, "updated_at": "2026-11-28T21:52:03.120Z",
    "expires_at": "2026-12-05T21:52:03.120Z",
    "result": {"video": {**VIDEO_EXAMPLE, "frames": 32112, "has_audio": True, "complete": True},
               "text_source": "subtitles", "shots": [{"index": 0, "start_frame": 0, "end_frame": 74, "...": "..."}]},
}


class JobStatus(JobSummary):
    model_config = ConfigDict(json_schema_extra={"example": DONE_EXAMPLE})

    result: JobResult | None = Field(
        default=None,
        description='{"video": {...}, "language", "text_source", "shots": [{"index", "start_frame", '
        '"end_frame", "start_s", "end_s", "face", "text", "audio", "fused", "errors"?}]} once done; while running, the shots finished so far with "partial": true; '
        '"language" is the ISO 639-1 code of the video\'s text or speech (null: none); each shot\'s '
        '"text" has "language", and "translated": true with "lines" (original) and "lines_en" '
        '(English, classified) when its text was translated, or "reason" when it has no label',
    )


class JobList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"jobs": [SUMMARY_EXAMPLE], "next_cursor": "WzE3OTY...In0"}})

    jobs: list[JobSummary]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next (older) page; null on the last page")


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"description": message, "content": {"application/json": {"example": {"error": {"code": code, "message": message}}}}}


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
                            "description": "optional sidecar file: SRT, WebVTT, TTML/IMSC/DFXP, EBU-STL or SCC "
                            "(detected by content, then extension; other formats 415)",
                        },
                        "audio_track": {
                            "type": "string",
                            "description": "the audio track to analyse: its index among audio tracks (from 0) or "
                            "its language tag; default: the track with the most speech (result.audio_track)",
                            "example": "1",
                        },
                        "video_url": {
                            "type": "string",
                            "description": "instead of 'video': a URL on the configured allow-list",
                        },
                        "webhook_url": {
                            "type": "string",
                            "description": "POSTed the final status JSON (done, failed or cancelled; allow-listed hosts only)",
                        },
                        "metadata": {
                            "type": "string",
                            "description": "your own JSON object (at most 4096 bytes), e.g. an asset id; echoed in "
                            "status, list, result and webhook bodies",
                            "example": '{"asset_id": "MAM-2026-000417", "priority": 2}',
                        },
                    },
                    "required": [],
                }
            }
        },
    }
}
SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "with ?wait=true: the job's result, plus id, status and metadata"},
    409: _error(409, "idempotency_key_reused", "Idempotency-Key 'k-1' was already used for a different request; use a new key for a new video"),
    413: _error(413, "payload_too_large", "field 'metadata' is over 4096 bytes"),
    422: _error(422, "invalid_metadata", "metadata must be a JSON object, got an array"),
    429: _error(429, "overloaded", "16 jobs are already waiting (limit 16), uploads under way included; retry later"),
    507: _error(507, "insufficient_storage", "not enough disk space for this upload: ... bytes free, ... kept in reserve; retry later"),
}
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: _error(422, "invalid_status", f"unknown status filter 'finished'; use one of: {', '.join(STATUSES)}"),
}
STATUS_RESPONSES: dict[int | str, dict[str, Any]] = {404: _error(404, "not_found", f"no job '{JOB_ID}'")}
CANCEL_RESPONSES: dict[int | str, dict[str, Any]] = {
    **STATUS_RESPONSES,
    409: _error(409, "already_ended", f"job {JOB_ID} has already ended (done); nothing to cancel"),
}
DELETE_RESPONSES: dict[int | str, dict[str, Any]] = {
    204: {"description": "deleted: a queued or running job was cancelled first; GET now gives 404"},
    **STATUS_RESPONSES,
}
