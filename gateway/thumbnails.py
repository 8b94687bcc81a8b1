"""Shot thumbnails: one small JPEG per shot, stored in the job folder and served to the review page.

``save`` runs as each shot finishes: it takes the face sample (a JPEG the decoder
already made) nearest the middle of the shot, or, when no sample falls inside the
shot (shorter than the sampling interval), decodes the frame at the middle from
the uploaded video, and writes it ``WIDTH`` pixels wide to
``<job folder>/thumbnails/<index>.jpg``. A thumbnail that cannot be made is logged
and skipped: it never fails the job. ``clear_inputs`` is the job's clean-up after
processing: the upload and scratch files go, the thumbnails stay while the job
exists (the whole folder is deleted with the job).

``router`` serves ``GET /v1/videos/{id}/shots/{index}/thumbnail.jpg``.
"""

from __future__ import annotations

import bisect
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path as FilePath
from typing import Annotated

import av
import cv2
import numpy as np
from fastapi import APIRouter, Path, Request, Response

from emocore.errors import NotFound
from gateway.decode import SampledFrame
from gateway.job import find_job
from gateway.shots import Shot

log = logging.getLogger(__name__)

WIDTH = 160  # pixels; the height keeps the frame's aspect
QUALITY = 80
DIRECTORY = "thumbnails"


def thumbnail_path(folder: FilePath, index: int) -> FilePath:
    return folder / DIRECTORY / f"{index}.jpg"


def middle_sample(samples: Sequence[SampledFrame], shot: Shot) -> SampledFrame | None:
    """The sample nearest the middle of the shot, if one lies inside it."""
    middle = (shot.start_s + shot.end_s) / 2
    at = bisect.bisect_left(samples, middle, key=lambda sample: sample.time_s)
    inside = [s for s in samples[max(0, at - 1) : at + 1] if shot.start_frame <= s.index <= shot.end_frame]
    return min(inside, key=lambda s: abs(s.time_s - middle), default=None)


def frame_at(video: FilePath, time_s: float) -> np.ndarray:
    """The RGB frame shown at ``time_s`` (seconds from the first frame), decoded from the file."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        base = stream.time_base
        first = stream.start_time or 0
        if base is not None:
            container.seek(first + int(time_s / base), stream=stream, backward=True)
        last = None
        for frame in container.decode(stream):
            last = frame
            if frame.pts is None or base is None or (frame.pts - first) * base >= time_s:
                break
    if last is None:
        raise ValueError(f"no frame decodes at {time_s:.3f} s")
    return last.to_ndarray(format="rgb24")


def encode(image_bgr: np.ndarray, width: int = WIDTH) -> bytes:
    """``image_bgr`` scaled to ``width`` pixels wide (aspect kept) as JPEG bytes."""
    height = max(2, round(image_bgr.shape[0] * width / image_bgr.shape[1]))
    small = cv2.resize(image_bgr, (width, height), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def save(folder: FilePath, video: FilePath, index: int, samples: Sequence[SampledFrame], shot: Shot) -> bool:
    """Write shot ``index``'s thumbnail; False (and a log line) when it could not be made."""
    try:
        sample = middle_sample(samples, shot)
        if sample is not None:
            image = cv2.imdecode(np.frombuffer(sample.jpeg, np.uint8), cv2.IMREAD_COLOR)
        else:
            image = cv2.cvtColor(frame_at(video, (shot.start_s + shot.end_s) / 2), cv2.COLOR_RGB2BGR)
        if image is None:
            raise ValueError("the sampled frame does not decode")
        target = thumbnail_path(folder, index)
        target.parent.mkdir(exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(encode(image))
        partial.replace(target)
        return True
    except (OSError, ValueError, cv2.error, av.error.FFmpegError) as exc:
        log.warning("no thumbnail for shot %d in %s: %s", index, folder, exc)
        return False


def clear_inputs(folder: FilePath, *, keep_thumbnails: bool) -> None:
    """Delete the job folder's upload and scratch files (all of it unless it keeps thumbnails)."""
    if not (keep_thumbnails and (folder / DIRECTORY).is_dir()):
        shutil.rmtree(folder, ignore_errors=True)
        return
    for entry in folder.iterdir():
        if entry.name == DIRECTORY and entry.is_dir():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


router = APIRouter(tags=["videos"])


@router.get(
    "/v1/videos/{job_id}/shots/{index}/thumbnail.jpg",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": f"a JPEG {WIDTH} px wide"}},
)
async def get_thumbnail(job_id: str, index: Annotated[int, Path(ge=0)], request: Request) -> Response:
    """One frame of shot ``index`` (from its middle), for the review page's timeline."""
    runner = request.app.state.served.runner
    job = find_job(job_id, runner.store.get)
    path = thumbnail_path(runner.folder(job_id), index)
    if not path.is_file():
        shots = len((job.result or {}).get("shots", []))
        if job.status == "done" and index >= shots:
            raise NotFound(f"job {job_id} has no shot {index} (it has {shots} shots)")
        if job.status in ("queued", "running"):
            raise NotFound(f"no thumbnail for shot {index} yet: job {job_id} is {job.status}")
        raise NotFound(f"no thumbnail stored for shot {index} of job {job_id} ({job.status})")
    return Response(path.read_bytes(), media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})
