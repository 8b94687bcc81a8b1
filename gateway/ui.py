"""The review page: static HTML, CSS and JS served by the gateway, and the job list it shows.

``pages`` serves ``/ui/`` (recent jobs) and ``/ui/videos/{id}`` (one job's shots on a
timeline) and their files from ``gateway/static/``. The pages hold no data and need
no API key: their scripts read the job from the ``/v1`` API in the browser, sending the
key (asked for once, kept in session storage) in the ``X-API-Key`` header. ``data``
holds the one read the ``/v1`` API has no route for yet, the recent-jobs list
(``GET /ui/jobs.json``); the app includes it behind the same API-key check as ``/v1``.

Every page is sent with a Content-Security-Policy that allows only the gateway's own
scripts, styles and images (and ``blob:`` images: thumbnails fetched with the key),
so the page works on a network without internet and runs nothing from elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse

from emocore.errors import NotFound

STATIC = Path(__file__).parent / "static"
MEDIA_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
ASSETS = {path.name for path in STATIC.iterdir() if path.suffix in MEDIA_TYPES and path.suffix != ".html"}
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": POLICY, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

pages = APIRouter(prefix="/ui", include_in_schema=False)
data = APIRouter(prefix="/ui", tags=["review page"])


def _file(name: str) -> FileResponse:
    path = STATIC / name
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=HEADERS)


@pages.get("")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=308)


@pages.get("/")
async def job_list() -> FileResponse:
    """Recent jobs, each a link to its review page."""
    return _file("jobs.html")


@pages.get("/videos/{job_id}")
async def review(job_id: str) -> FileResponse:
    """One job's review page (the script reads the id from the address)."""
    return _file("review.html")


@pages.get("/static/{name}")
async def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise NotFound(f"no file {name[:64]!r} in the review page's static files")
    return _file(name)


@data.get("/jobs.json")
async def recent_jobs(
    request: Request, limit: Annotated[int, Query(ge=1, le=500, description="how many jobs")] = 50
) -> dict[str, Any]:
    """The newest jobs (without results), newest first, for the page at ``/ui/``."""
    rows = request.app.state.served.runner.store.recent(limit)
    jobs = [
        {
            "id": row["id"],
            "status": row["status"],
            "progress": round(row["progress"], 4),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "filename": row["options"].get("filename"),
            "duration_s": row["options"].get("duration_s"),
            "error": row["error"],
        }
        for row in rows
    ]
    return {"jobs": jobs}
