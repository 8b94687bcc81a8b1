"""Jobs per hour with 1 and 2 job workers on a shared PostgreSQL queue, on the same set of videos.

``.venv/bin/python -m bench.jobs_throughput`` (needs ``make models``, espeak-ng and
``make postgresql``) writes ``bench/reports/jobs_throughput.md``; ``make bench`` runs
it with the others (``bench/run_all.py`` runs every ``bench/*.py``). A local
PostgreSQL server (devtools.postgres) holds the queue; the four model services run
once, embedded, as their own processes; for each worker count a fresh database, one
API process that runs no jobs (``EMO_GATEWAY_JOB_WORKERS=0``) and N
``python -m gateway.worker`` processes (one job at a time each). After one warm-up
job, ``--jobs`` copies of the demo sample (four shots, SRT subtitles) are submitted
at once; the wall time runs from the first submit to the last job done.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import httpx

from bench._common import write_report
from devtools.postgres import fresh_database, running_postgres
from devtools.sample_video import Sample, cached
from devtools.serve import LocalStack
from emocore.settings import REPO_ROOT

REPORT = REPO_ROOT / "bench" / "reports" / "jobs_throughput.md"
MODELS = ("face", "text", "audio", "fusion")


def submit(api: str, clip: Sample) -> str:
    files = {"video": ("sample.mp4", clip.video.read_bytes(), "video/mp4"),
             "subtitles": ("sample.srt", clip.srt.read_bytes(), "application/x-subrip")}
    response = httpx.post(f"{api}/v1/videos", files=files, timeout=120)
    response.raise_for_status()
    return str(response.json()["id"])


def wait_all(api: str, ids: list[str], timeout_s: float = 3600) -> None:
    deadline = time.monotonic() + timeout_s
    pending = set(ids)
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(pending)} jobs not done")
        for job_id in list(pending):
            body = httpx.get(f"{api}/v1/videos/{job_id}", timeout=60).json()
            if body["status"] == "done":
                pending.discard(job_id)
            elif body["status"] != "queued" and body["status"] != "running":
                raise RuntimeError(f"job {job_id}: {body['status']} {body.get('error')}")
        time.sleep(0.2)


def measure(models: LocalStack, database: str, workers: int, clip: Sample, jobs: int, log_dir: Path) -> float:
    """Wall seconds for ``jobs`` jobs run by ``workers`` worker processes (after a warm-up job)."""
    names = ("gateway", *(f"worker{i + 1}" for i in range(workers)))
    env = {"EMO_GATEWAY_DATABASE_URL": database, "EMO_GATEWAY_DATA_DIR": str(log_dir / f"data-{workers}"),
           "EMO_GATEWAY_QUEUE_SIZE": str(jobs + 1), "EMO_GATEWAY_QUEUE_POLL_S": "0.2",
           **{f"EMO_GATEWAY_{m.upper()}_URL": models.url(m) for m in MODELS}}
    with LocalStack.on_free_ports(names, env=env, per_process={"gateway": {"EMO_GATEWAY_JOB_WORKERS": "0"}},
                                  log_dir=log_dir / f"workers-{workers}", ready_timeout_s=300) as stack:
        api = stack.url("gateway")
        wait_all(api, [submit(api, clip)])  # warm-up: every worker's first job loads its decoders
        began = time.perf_counter()
        ids = [submit(api, clip) for _ in range(jobs)]
        wait_all(api, ids)
        return time.perf_counter() - began


def report(rows: list[tuple[int, float]], jobs: int, clip: Sample, load: list[float]) -> str:
    base = jobs / rows[0][1] * 3600
    lines = [
        "# Jobs per hour: 1 and 2 workers on a shared PostgreSQL queue",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other work: 1-minute load average "
        f"{load[0]:.1f} before, {load[-1]:.1f} after), Python {platform.python_version()}. "
        "Reproduce: `.venv/bin/python -m bench.jobs_throughput`.",
        "",
        f"Videos: {jobs} copies of the demo sample (`{clip.video.relative_to(REPO_ROOT)}`, {clip.duration_s:.1f} s, "
        "352x288, 4 shots, SRT subtitles), submitted at once to one API process; model services embedded, "
        "one process each; PostgreSQL 15 local; each worker runs one job at a time.",
        "",
        "| workers | jobs | wall (s) | jobs per hour | video hours per hour | vs 1 worker |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for workers, wall in rows:
        per_hour = jobs / wall * 3600
        lines.append(f"| {workers} | {jobs} | {wall:.1f} | **{per_hour:.0f}** | "
                     f"{per_hour * clip.duration_s / 3600:.1f} | {per_hour / base:.2f}x |")
    lines += [
        "",
        "What it means: a worker decodes, cuts and samples its video on its own CPU and waits on the model",
        "services for the rest; the queue itself (a claim, a lease renewal a second, one end) costs a few",
        "milliseconds per job. On this 2-core machine the two workers, four model services and PostgreSQL",
        "share the same two cores, so the second worker can only fill the time the first spends waiting on",
        "the services: the gain is bounded by the cores, not by the queue. With more cores (Kubernetes: a",
        "worker pod per 2-4 cores and model services scaled with their own HPAs or Triton on GPUs) jobs per",
        "hour grow about linearly with workers until the model services or Triton saturate; the worker",
        "autoscaler (HPA on `emo_gateway_queue_backlog`) adds workers as the backlog grows.",
        "",
    ]
    if max(load) > 2 * (os.cpu_count() or 1):
        lines += [
            f"This run shared the machine with other work (load average up to {max(load):.0f} on "
            f"{os.cpu_count()} cores): absolute figures are pessimistic and the 1-vs-2 ratio is noisy.",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args(argv)
    clip = cached("small")
    log_dir = REPO_ROOT / "build" / "bench" / "jobs_throughput"
    load = [os.getloadavg()[0]]
    rows = []
    with running_postgres() as server, LocalStack.on_free_ports(
        MODELS, log_dir=log_dir / "models", ready_timeout_s=300
    ) as models:
        for workers in (1, 2):
            wall = measure(models, fresh_database(server), workers, clip, args.jobs, log_dir)
            print(f"{workers} worker(s): {args.jobs} jobs in {wall:.1f} s", flush=True)
            rows.append((workers, wall))
    load.append(os.getloadavg()[0])
    write_report(REPORT, report(rows, args.jobs, clip, load), "bench.jobs_throughput")
    print(REPORT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
