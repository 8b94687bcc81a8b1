"""Gateway HTTP app: submit videos as jobs, list, poll, cancel and delete them, fetch results.

The submit flow is in ``gateway/submit.py``; list paging in ``gateway/listing.py``.
``DELETE /v1/videos/{id}`` cancels a queued or running job (its webhook reports
``cancelled``), waits for this process's worker to let go of it, then removes its
folder (media, thumbnails) and its row (result): 204, and 404 from then on.
``/health/ready`` answers 200 only while every service a job needs is ready
(gateway.readiness), so no job is sent to a stack that cannot run it.
While a job runs, ``GET /v1/videos/{id}`` shows the shots finished so far
(``partial: true``, ``processed_s``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import PlainTextResponse

from emocore.errors import Conflict, Unauthorized
from emocore.service import Route, build_app
from gateway import listing, schemas, thumbnails, ui
from gateway.engine import JobEngine
from gateway.export import result_csv
from gateway.job import STATUSES, find_job
from gateway.jobs import Job
from gateway.metrics import GatewayMetrics
from gateway.results import JobResult
from gateway.runner import JobRunner, job_folder
from gateway.schemas import Accepted, JobList, JobStatus
from gateway.settings import GatewaySettings
from gateway.submit import status_url, submit


def get_settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


def get_runner(request: Request) -> JobRunner:
    return request.app.state.served.runner


def check_api_key(request: Request) -> None:
    """With ``EMO_GATEWAY_API_KEY`` set, /v1 routes need it in the ``X-API-Key`` header."""
    expected = request.app.state.settings.api_key
    if not expected:
        return
    # Compared as bytes: a non-ASCII header (decoded as Latin-1) is a wrong key, not an error.
    given = request.headers.get("x-api-key", "").encode("latin-1", "replace")
    if not hmac.compare_digest(given, expected.encode("utf-8")):
        raise Unauthorized("missing or wrong X-API-Key header")


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]


def load_job(runner: JobRunner, job_id: str) -> Job:
    return find_job(job_id, runner.store.get)


async def post_video(
    request: Request,
    settings: SettingsDep,
    runner: RunnerDep,
    wait: Annotated[bool, Query(description="block until the job ends and return its result")] = False,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", description=schemas.IDEMPOTENCY_DOC)] = None,
) -> Response:
    """Upload a video (multipart ``video``, optional ``subtitles``, ``metadata``) and start its analysis."""
    return await submit(request, settings, runner, wait, idempotency_key)


async def list_videos(
    runner: RunnerDep,
    status: Annotated[str | None, Query(description="only jobs with this status: " + "|".join(STATUSES))] = None,
    limit: Annotated[int, Query(description=f"jobs per page, 1-{listing.MAX_LIMIT}")] = listing.DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="the next_cursor of the previous page")] = None,
) -> JobList:
    """Jobs newest first, without their results, a page at a time."""
    wanted = listing.check_status(status)
    count = listing.check_limit(limit)
    jobs = runner.store.list_jobs(wanted, count + 1, listing.decode_cursor(cursor))
    page = jobs[:count]
    more = len(jobs) > count
    return JobList.model_validate({
        "jobs": [job.summary(status_url(job.id)) for job in page],
        "next_cursor": listing.encode_cursor(page[-1]) if more else None,
    })


async def get_status(job_id: str, runner: RunnerDep) -> Response:
    """The job's status, progress (video time analysed) and result: partial while it runs, whole once done."""
    job, result = find_job(job_id, runner.store.status_parts)
    body = json.dumps(job.status_body(status_url(job_id)))
    # Stored results were built from the typed models (``JobStatus`` documents them); they are
    # sent as stored text: parsing and validating thousands of shots on every poll would cost
    # more than the job.
    if result is not None:
        body = body[:-1] + ', "result": ' + result + "}"
    return Response(body, media_type="application/json")


async def cancel_video(job_id: str, runner: RunnerDep) -> JobStatus:
    """Cancel a queued or running job and keep its record (status ``cancelled``); 409 if it had ended."""
    job = load_job(runner, job_id)
    cancelled = runner.cancel(job_id)
    if cancelled is None:
        raise Conflict(f"job {job_id} has already ended ({job.status}); nothing to cancel", code="already_ended")
    await runner.stopped(job_id)
    return JobStatus.model_validate(cancelled.status_body(status_url(job_id)))


async def delete_video(job_id: str, settings: SettingsDep, runner: RunnerDep) -> Response:
    """Cancel the job if it is queued or running, then delete its media, thumbnails and result."""
    load_job(runner, job_id)
    runner.cancel(job_id)
    await runner.stopped(job_id)
    await asyncio.to_thread(job_folder(settings, job_id).remove)
    runner.store.delete(job_id)
    return Response(status_code=204)


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
    videos = {"tags": ["videos"], "dependencies": secured}
    routes = [
        Route("POST", "/v1/videos", post_video, {
            **videos, "status_code": 202, "response_model": Accepted,
            "openapi_extra": schemas.UPLOAD_OPENAPI, "responses": schemas.SUBMIT_RESPONSES,
        }),
        Route("GET", "/v1/videos", list_videos,
              {**videos, "response_model": JobList, "responses": schemas.LIST_RESPONSES}),
        Route("GET", "/v1/videos/{job_id}", get_status,
              {**videos, "response_model": JobStatus, "responses": schemas.STATUS_RESPONSES}),
        Route("POST", "/v1/videos/{job_id}/cancel", cancel_video,
              {**videos, "response_model": JobStatus, "responses": schemas.CANCEL_RESPONSES}),
        Route("DELETE", "/v1/videos/{job_id}", delete_video, {
            **videos, "status_code": 204, "response_class": Response, "responses": schemas.DELETE_RESPONSES,
        }),
        Route("GET", "/v1/videos/{job_id}/result.csv", get_csv,
              {**videos, "response_class": PlainTextResponse}),
    ]
    app = build_app("Video emotion gateway", JobEngine(settings, metrics), settings, metrics, routes)
    app.include_router(thumbnails.router, dependencies=secured)
    app.include_router(ui.data, dependencies=secured)
    app.include_router(ui.pages)
    return app


app = create_app()
