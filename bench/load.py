"""Load test on loopback: every service its own process (embedded models), bounded request counts.

Scenarios, in this order (so queued gateway jobs do not slow the modality bursts):
1. face and text bursts at the services' concurrency limit (no error allowed), then at
   4x the limit (only 200 or a clean 429/503 with Retry-After allowed);
2. N concurrent video uploads to the gateway within its queue limit: every job must be
   accepted (202) and finish ``done``; time to accept and time to result;
3. a burst of uploads above the queue limit: only 202 or 429 with Retry-After.
Latency p50/p95/p99 and throughput per scenario go to bench/reports/load.md.

    python -m bench.load [--uploads 4] [--without audio]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from bench._common import write_report
from devtools.sample_video import cached
from devtools.samples import skimage_image
from devtools.serve import APPS, LocalStack

REPORT = Path(__file__).resolve().parent / "reports" / "load.md"
SERVICE_LIMIT = 4  # max_concurrent_requests of face and text during the test
QUEUE_SIZE = 4  # the gateway's job queue
TEXTS = ["I am so happy today!", "This is unacceptable.", "I miss her so much.", "What a surprise!"] * 2


@dataclass
class Outcome:
    name: str
    concurrency: int
    latencies: dict[int, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def row(self) -> str:
        """Latency percentiles of the successful answers; the median time to a rejection apart."""
        ok = [t for code, times in self.latencies.items() if code < 300 for t in times]
        rejected = [t for code, times in self.latencies.items() if code >= 400 for t in times]
        p50, p95, p99 = (np.percentile(ok, q) if ok else float("nan") for q in (50, 95, 99))
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        rate = len(ok) / self.wall_s if self.wall_s else 0.0
        reject = f"{np.median(rejected) * 1000:.0f} ms" if rejected else "-"
        return (f"| {self.name} | {self.concurrency} | {sum(self.statuses.values())} | {codes} | "
                f"{p50:.2f} | {p95:.2f} | {p99:.2f} | {rate:.2f} | {reject} |")


Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def burst(name: str, send: Send, *, concurrency: int, total: int, allowed: set[int]) -> Outcome:
    """``total`` requests, ``concurrency`` in flight; statuses outside ``allowed`` are problems."""
    outcome = Outcome(name, concurrency)
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency + 4)

    async def one(client: httpx.AsyncClient) -> None:
        async with gate:
            started = time.perf_counter()
            response = await send(client)
            outcome.latencies.setdefault(response.status_code, []).append(time.perf_counter() - started)
        outcome.statuses[response.status_code] += 1
        if response.status_code == 202:
            outcome.accepted_ids.append(response.json()["id"])
        if response.status_code not in allowed:
            outcome.problems.append(f"{name}: {response.status_code} {response.text[:200]}")
        elif response.status_code in (429, 503) and not response.headers.get("retry-after"):
            outcome.problems.append(f"{name}: {response.status_code} without Retry-After")

    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(total)))
        outcome.wall_s = time.perf_counter() - started
    return outcome


async def job_times(stack: LocalStack, ids: list[str], timeout_s: float) -> list[float]:
    """Seconds from now until each job is done (raises if one fails or times out)."""
    started, pending, times = time.perf_counter(), set(ids), []
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as client:
        while pending:
            if time.perf_counter() - started > timeout_s:
                raise RuntimeError(f"{len(pending)} jobs not done after {timeout_s:.0f} s")
            for job_id in sorted(pending):
                body = (await client.get(f"/v1/videos/{job_id}")).json()
                if body["status"] == "failed":
                    raise RuntimeError(f"job {job_id} failed: {body.get('error')}")
                if body["status"] == "done":
                    pending.discard(job_id)
                    times.append(time.perf_counter() - started)
            await asyncio.sleep(0.5)
    return times


async def scenarios(stack: LocalStack, uploads: int) -> tuple[list[Outcome], list[float]]:
    face_url, text_url, gateway_url = (stack.url(n) for n in ("face", "text", "gateway"))
    image = skimage_image("astronaut.png").read_bytes()
    video = cached("small").video.read_bytes()

    def face(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(f"{face_url}/v1/predict", files=[("files", ("a.png", image, "image/png"))])

    def text(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(f"{text_url}/v1/predict", json={"texts": TEXTS})

    def upload(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.post(f"{gateway_url}/v1/videos", files={"video": ("clip.mp4", video, "video/mp4")})

    outcomes = []
    for name, send in (("face", face), ("text", text)):
        outcomes.append(await burst(f"{name}, at the limit", send, concurrency=SERVICE_LIMIT,
                                    total=10 * SERVICE_LIMIT, allowed={200}))
        outcomes.append(await burst(f"{name}, 4x the limit", send, concurrency=4 * SERVICE_LIMIT,
                                    total=12 * SERVICE_LIMIT, allowed={200, 429, 503}))
    accepted = await burst("gateway upload, within the queue", upload, concurrency=uploads, total=uploads,
                           allowed={202})
    outcomes.append(accepted)
    jobs = await job_times(stack, accepted.accepted_ids, timeout_s=1800)
    outcomes.append(await burst("gateway upload, 3x the queue", upload, concurrency=3 * QUEUE_SIZE,
                                total=3 * QUEUE_SIZE, allowed={202, 429}))
    return outcomes, jobs


def report(outcomes: list[Outcome], jobs: list[float], uploads: int, without: list[str], wall_s: float,
           load: float) -> str:
    lines = [
        "# Load test (loopback, every service its own process, embedded models)",
        "",
        "Produced by `python -m bench.load` (part of `make bench`). Face and text run with "
        f"`max_concurrent_requests={SERVICE_LIMIT}`, the gateway with `queue_size={QUEUE_SIZE}` and "
        "one job worker; the clip is devtools.sample_video's 4-shot 352x288 sample with no subtitles "
        "(text comes from speech-to-text). p50/p95/p99: seconds to a successful answer; "
        "throughput: successful answers per second of the scenario; rejections are answered "
        "at once (median time shown), clients do not retry.",
        "",
        "| scenario | concurrency | requests | statuses | p50 | p95 | p99 | ok/s | time to 429 |",
        "|---|---|---|---|---|---|---|---|---|",
        *(o.row() for o in outcomes),
        "",
        f"{uploads} concurrent uploads: time from acceptance to `done` per job (s): "
        + ", ".join(f"{t:.1f}" for t in sorted(jobs))
        + (f"; {uploads / max(jobs):.3f} jobs/s overall." if jobs else "."),
        "",
        f"Total run {wall_s:.0f} s on {os.cpu_count()} CPU cores (load average {load:.1f} at the start, "
        f"other work included). Services left out: {', '.join(without) or 'none'}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=QUEUE_SIZE, help="concurrent uploads within the limit")
    parser.add_argument("--without", nargs="*", default=[], choices=["audio", "text"],
                        help="services not started (the gateway gets a closed port for them)")
    args = parser.parse_args(argv)
    if args.uploads > QUEUE_SIZE:
        parser.error(f"--uploads must stay within the queue limit ({QUEUE_SIZE})")
    names = tuple(n for n in APPS if n not in args.without)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "EMO_GATEWAY_DATA_DIR": str(Path(tmp) / "gateway"),
            "EMO_GATEWAY_QUEUE_SIZE": str(QUEUE_SIZE),
            "EMO_FACE_MAX_CONCURRENT_REQUESTS": str(SERVICE_LIMIT),
            "EMO_TEXT_MAX_CONCURRENT_REQUESTS": str(SERVICE_LIMIT),
        }
        load, started = os.getloadavg()[0], time.perf_counter()
        with LocalStack.on_free_ports(names, env=env, log_dir=Path(tmp) / "logs", ready_timeout_s=600) as stack:
            outcomes, jobs = asyncio.run(scenarios(stack, args.uploads))
        wall = time.perf_counter() - started
    write_report(REPORT, report(outcomes, jobs, args.uploads, args.without, wall, load), "bench.load")
    print(REPORT.read_text())
    problems = [p for o in outcomes for p in o.problems]
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
