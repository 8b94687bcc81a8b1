"""Gateway HTTP app: submit videos as jobs, poll them, fetch results as JSON or CSV.

``POST /v1/videos`` streams the multipart upload to a new job folder, probes the
video (its facts travel with the job), checks its length (a stream that declares
none has its frames counted) and parses any subtitles *before* queueing (so a bad
file is a 4xx at once), then answers 202 with the job id, or with ``?wait=true``
200 and the result. While a job runs, ``GET`` shows the shots finished so far.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.requests import ClientDisconnect

from emocore.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ServiceError,
    Unauthorized,
)
from emocore.service import Route, build_app
from gateway.engine import JobEngine
from gateway.export import result_csv
from gateway.folder import JobFolder
from gateway.jobs import Job
from gateway.metrics import GatewayMetrics
from gateway.probe import check_length, probe
from gateway.remote import check_allowed, download
from gateway.results import JobResult
from gateway.runner import JobRunner, job_folder
from gateway.schemas import UPLOAD_OPENAPI, Accepted, JobStatus
from gateway.settings import GatewaySettings
from gateway.subtitles import parse
from gateway.uploads import Upload, receive


def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


def get_runner(request: Request) -> JobRunner:
    return request.app.state.served.runner


def check_api_key(request: Request) -> None:
    """With ``EMO_GATEWAY_API_KEY`` set, /v1 routes need it in the ``X-API-Key`` header."""
    expected = request.app.state.settings.api_key
    if expected and not hmac.compare_digest(request.headers.get("x-api-key", ""), expected):
        raise Unauthorized("missing or wrong X-API-Key header")


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]


def status_url(job_id: str) -> str:
    return f"/v1/videos/{job_id}"


def load_job(runner: JobRunner, job_id: str) -> Job:
    job = runner.store.get(job_id) if len(job_id) == 32 and job_id.isalnum() else None
    if job is None:
        raise NotFound(f"no job {job_id[:64]!r}")
    return job


async def prepare(upload: Upload, folder: JobFolder, settings: GatewaySettings) -> dict[str, Any]:
    """Check what was uploaded (video present and readable, subtitles parse); job options."""
    url = upload.fields.get("video_url")
    if url and "video" in upload.files:
        raise InvalidInput("send either a 'video' file or a 'video_url', not both")
    if url:
        check_allowed(url, settings.url_allow_list, "video_url")
        await download(url, folder.video, max_bytes=settings.max_request_bytes)
    elif "video" not in upload.files:
        raise InvalidInput("no 'video' file in the upload (multipart field 'video')")
    info = await asyncio.to_thread(probe, folder.video)
    await asyncio.to_thread(check_length, folder.video, info, settings.max_video_seconds)
    subtitles = upload.files.get("subtitles")
    if subtitles:
        name = subtitles.filename or "subtitles"
        cues = await asyncio.to_thread(parse, subtitles.path.read_bytes(), name=name, max_bytes=settings.max_subtitle_bytes)
        await asyncio.to_thread(folder.save_cues, cues)
    webhook = upload.fields.get("webhook_url")
    if webhook:
        check_allowed(webhook, settings.webhook_allow_list, "webhook_url")
    video = upload.files.get("video")
    return {
        "filename": video.filename if video else url,
        "subtitles": subtitles.filename if subtitles else None,
        "duration_s": info.duration_s,
        "video": info.as_dict(),
    }


async def submit(
    request: Request,
    settings: SettingsDep,
    runner: RunnerDep,
    wait: Annotated[bool, Query(description="block until the job ends and return its result")] = False,
) -> Response:
    """Upload a video (multipart ``video``, optional ``subtitles``) and start its analysis."""
    job_id = uuid.uuid4().hex
    folder = job_folder(settings, job_id)
    folder.create()
    try:
        upload = await receive(
            request.stream(),
            request.headers.get("content-type", ""),
            folder.root,
            max_bytes=settings.max_request_bytes,
            max_subtitle_bytes=settings.max_subtitle_bytes,
        )
        options = await prepare(upload, folder, settings)
        runner.submit(job_id, options, upload.fields.get("webhook_url"))
    except ClientDisconnect as exc:  # counted as its own code, not as a server error
        folder.remove()
        raise InvalidInput("the client disconnected before the upload was complete", code="client_disconnected") from exc
    except BaseException:
        folder.remove()
        raise
    if not wait:
        body = Accepted(id=job_id, status_url=status_url(job_id))
        return JSONResponse(body.model_dump(), status_code=202, headers={"Location": body.status_url})
    try:
        job = await runner.wait(job_id, settings.wait_timeout_s)
    except TimeoutError:
        return JSONResponse(
            {"id": job_id, "status_url": status_url(job_id), "status": "running"}, status_code=202
        )
    if job.status == "failed":
        message = f"job {job_id} failed: {job.error}"
        if (job.error or "").startswith("internal error"):
            raise ServiceError(message, code="job_failed")  # 500
        raise InvalidInput(message, code="job_failed")  # 422
    return JSONResponse({"id": job_id, "status": "done", **(job.result or {})})


async def get_status(job_id: str, runner: RunnerDep) -> Response:
    """The job's status, progress (video time analysed) and result: partial while it runs, whole once done."""
    job = load_job(runner, job_id)
    body = job.status_body(status_url(job_id))
    partial = runner.store.partial_result(job)
    if partial is not None:
        body["result"] = partial
    # Stored results were built from the typed models (``JobStatus`` documents them); they are
    # sent as stored: validating hundreds of shots again on every poll would cost more than the job.
    return JSONResponse(body)


async def get_csv(job_id: str, runner: RunnerDep) -> Response:
    """The result of a finished job as CSV, one row per shot."""
    job = load_job(runner, job_id)
    if job.status != "done" or job.result is None:
        raise Conflict(f"job {job_id} is {job.status}; no result yet", code="not_finished")
    return PlainTextResponse(
        result_csv(JobResult.model_validate(job.result)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{job_id}.csv"'},
    )


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    metrics = GatewayMetrics()
    secured = [Depends(check_api_key)]
    routes = [
        Route("POST", "/v1/videos", submit, {
            "status_code": 202, "response_model": Accepted, "tags": ["videos"],
            "openapi_extra": UPLOAD_OPENAPI, "dependencies": secured,
        }),
        Route("GET", "/v1/videos/{job_id}", get_status,
              {"response_model": JobStatus, "tags": ["videos"], "dependencies": secured}),
        Route("GET", "/v1/videos/{job_id}/result.csv", get_csv,
              {"tags": ["videos"], "dependencies": secured, "response_class": PlainTextResponse}),
    ]
    return build_app("Video emotion gateway", JobEngine(settings, metrics), settings, metrics, routes)


app = create_app()
