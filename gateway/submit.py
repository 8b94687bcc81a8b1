"""``POST /v1/videos``: admit, receive, check and queue an upload, or replay an idempotent retry.

Order matters, cheapest refusal first, all before the body is read: the
``Idempotency-Key`` header is checked (1-200 printable characters), a key already
stored sends the request down the replay path (the body is only hashed, never
stored: same content -> the original job, other content -> 409), a full queue
gives 429, a disk below its reserve 507. Then the multipart upload streams to a
new job folder (the reserve checked again as it grows); the video is probed (its
facts travel with the job), its length checked (a stream that declares none has
its frames counted), an ``audio_track`` checked against the file's tracks,
subtitles parsed (any supported format, their cues kept for the job) and
``metadata`` validated *before* queueing, so a bad file is a 4xx at once. The
answer is 202 with the job id, or with ``?wait=true`` 200 and the result.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from emocore.errors import Conflict, InvalidInput, NotFound, ServiceError
from emocore.limits import REFUSED as BODY_REFUSED
from gateway.audiotracks import requested, tracks
from gateway.disk import check_reserve, watcher
from gateway.folder import JobFolder
from gateway.idempotency import check_key, fingerprint, reused
from gateway.jobs import KeyTaken
from gateway.probe import check_length, probe
from gateway.remote import check_url, download
from gateway.runner import INTERNAL_ERROR, JobRunner, job_folder
from gateway.schemas import Accepted
from gateway.settings import GatewaySettings
from gateway.sidecar import read_cues
from gateway.uploads import Upload, receive

MAX_METADATA_DEPTH = 16


class BodyRefused(Exception):
    """The body limit has already answered 413 (and counted it): nothing more to send."""


def status_url(job_id: str) -> str:
    return f"/v1/videos/{job_id}"


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def parse_metadata(text: str | None) -> dict[str, Any] | None:
    """The client's ``metadata`` form field: a JSON object (size capped by the upload parser)."""
    if not text:
        return None

    def no_constant(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        value = json.loads(text, parse_constant=no_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"metadata is not valid JSON: {exc}"[:300], code="invalid_metadata") from exc
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
        raise InvalidInput(f"metadata must be a JSON object, got {kind}", code="invalid_metadata")
    if _depth(value) > MAX_METADATA_DEPTH:
        raise InvalidInput(f"metadata is nested deeper than {MAX_METADATA_DEPTH} levels", code="invalid_metadata")
    return value


async def prepare(upload: Upload, folder: JobFolder, settings: GatewaySettings) -> dict[str, Any]:
    """Check what was uploaded (video present and readable, subtitles parse); job options."""
    url = upload.fields.get("video_url")
    if url and "video" in upload.files:
        raise InvalidInput("send either a 'video' file or a 'video_url', not both")
    if url:
        policy = settings.address_policy()
        await check_url(url, settings.url_allow_list, policy, "video_url")
        check_reserve(settings.data_dir, settings.min_free_bytes)
        await download(url, folder.video, max_bytes=settings.max_request_bytes, policy=policy)
    elif "video" not in upload.files:
        raise InvalidInput("no 'video' file in the upload (multipart field 'video')")
    info = await asyncio.to_thread(probe, folder.video)
    await asyncio.to_thread(check_length, folder.video, info, settings.max_video_seconds)
    track = upload.fields.get("audio_track")
    if track:
        await asyncio.to_thread(lambda: requested(tracks(folder.video), track))
    subtitles = upload.files.get("subtitles")
    if subtitles:
        name = subtitles.filename or "subtitles"
        cues = await asyncio.to_thread(
            read_cues, subtitles.path.read_bytes(), name=name,
            max_bytes=settings.max_subtitle_bytes, max_cues=settings.max_subtitle_cues,
        )
        await asyncio.to_thread(folder.save_cues, cues)  # the job reads them, never parses again
    webhook = upload.fields.get("webhook_url")
    if webhook:
        await check_url(webhook, settings.webhook_allow_list, settings.address_policy(), "webhook_url")
    video = upload.files.get("video")
    return {
        "filename": video.filename if video else url,
        "subtitles": subtitles.filename if subtitles else None,
        "audio_track": track or None,
        "duration_s": info.duration_s,
        "video": {
            "duration_s": round(info.duration_s, 3), "fps": round(info.fps, 3),
            "width": info.width, "height": info.height,
        },
        "probe": info.as_dict(),  # all the facts, for the job (gateway.probe.VideoInfo)
    }


async def _receive(request: Request, settings: GatewaySettings, folder: Path | None) -> Upload:
    try:
        return await receive(
            request.stream(),
            request.headers.get("content-type", ""),
            folder,
            max_bytes=settings.max_request_bytes,
            max_subtitle_bytes=settings.max_subtitle_bytes,
            on_chunk=None if folder is None else watcher(settings.data_dir, settings.min_free_bytes),
        )
    except ClientDisconnect as exc:  # counted as its own code, not as a server error
        if request.scope.get(BODY_REFUSED):  # not the client: the body limit has answered 413
            raise BodyRefused from exc
        raise InvalidInput("the client disconnected before the upload was complete", code="client_disconnected") from exc


async def _replay(request: Request, settings: GatewaySettings, key: str, stored: tuple[str, str]) -> str:
    """The original job's id for a retry whose content matches it (409 otherwise)."""
    upload = await _receive(request, settings, None)
    if fingerprint(upload) != stored[1]:
        raise reused(key)
    return stored[0]


async def _store(request: Request, settings: GatewaySettings, runner: JobRunner, key: str | None) -> tuple[str, bool]:
    """Receive, check and queue a new job: (its id, whether an equal request already had one)."""
    declared = request.headers.get("content-length", "")
    check_reserve(settings.data_dir, settings.min_free_bytes, int(declared) if declared.isdigit() else 0)
    job_id = uuid.uuid4().hex
    folder = job_folder(settings, job_id)
    folder.create()
    try:
        upload = await _receive(request, settings, folder.root)
        metadata = parse_metadata(upload.fields.get("metadata"))
        options = await prepare(upload, folder, settings)
        idempotency = (key, fingerprint(upload)) if key else None
        try:
            runner.submit(job_id, options, upload.fields.get("webhook_url"), metadata=metadata, idempotency=idempotency)
        except KeyTaken:  # a concurrent request with this key was queued first
            assert key is not None and idempotency is not None
            stored = runner.store.find_key(key)
            if stored is None or stored[1] != idempotency[1]:
                raise reused(key) from None
            folder.remove()
            return stored[0], True
    except BaseException:
        folder.remove()
        raise
    return job_id, False


async def submit(
    request: Request, settings: GatewaySettings, runner: JobRunner, wait: bool, idempotency_key: str | None
) -> Response:
    """Upload a video (multipart ``video``, optional ``subtitles``) and start its analysis."""
    key = check_key(idempotency_key)
    stored = runner.store.find_key(key) if key else None
    try:
        if key and stored:
            job_id, replayed = await _replay(request, settings, key, stored), True
        else:
            with runner.admit():
                job_id, replayed = await _store(request, settings, runner, key)
    except BodyRefused:
        return Response(status_code=413)  # dropped by the body limit, which has answered

    headers = {"Location": status_url(job_id)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    if not wait:
        body = Accepted(id=job_id, status_url=status_url(job_id))
        return JSONResponse(body.model_dump(), status_code=202, headers=headers)
    try:
        job = await runner.wait(job_id, settings.wait_timeout_s)
    except TimeoutError:
        return JSONResponse(
            {"id": job_id, "status_url": status_url(job_id), "status": "running"}, status_code=202, headers=headers
        )
    if job is None:
        raise NotFound(f"job {job_id} was deleted before it ended")
    if job.status == "cancelled":
        raise Conflict(f"job {job_id} was cancelled before it ended", code="job_cancelled")
    if job.status == "failed":
        message = f"job {job_id} failed: {job.error}"
        if (job.error or "").startswith(INTERNAL_ERROR):
            raise ServiceError(message, code="job_failed")  # 500
        raise InvalidInput(message, code="job_failed")  # 422
    return JSONResponse({"id": job_id, "status": "done", "metadata": job.metadata, **(job.result or {})}, headers=headers)
