"""Feature-length videos through the whole stack: memory per process, wall time, real-time factor, first shot.

``.venv/bin/python -m bench.long_video [--minutes 5 20 60] [--subtitles 20] [--label new] [--json FILE]``
runs every service as its own process (LocalStack, embedded mode, default
settings) and uploads each generated 1280x720 25-fps video with audio and no
subtitles (bench/_long_media.py; speech is transcribed) to a *fresh* gateway
process; ``--subtitles`` names the lengths to run once more with an SRT sidecar
(no transcription); ``--set NAME=VALUE`` configures the stack (e.g. an English-only
audio service, ``EMO_AUDIO_ASR_LANGUAGE=en``, to compare like with like with code that
had no language detection). It measures, per video: each process's peak resident memory during the
job (Linux ``VmHWM`` after resetting it through ``/proc/PID/clear_refs``; the
gateway's also above its idle size just before the upload), the wall time from
the first byte of the upload to ``done``, the real-time factor (video seconds
per wall second), and the time until ``GET /v1/videos/{id}`` first shows a
finished shot (polled every second; a gateway without partial results shows the
first shot when the job is done). ``--json`` keeps the figures; ``--compare
OLD.json`` adds another run's figures (e.g. the old code, run from a worktree of
it with ``--label old``) to the report, side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx

from bench._common import write_report
from bench._long_media import subtitles, video
from devtools.serve import LocalStack
from emocore.settings import REPO_ROOT

REPORT = REPO_ROOT / "bench" / "reports" / "long_video.md"
MB = 1024 * 1024


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn runs the app in the process itself)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        children = Path(f"/proc/{current}/task/{current}/children")
        if children.exists():
            todo += [int(c) for c in children.read_text().split()]
    return out


def reset_peaks(stack: LocalStack) -> None:
    for process in stack.processes.values():
        for pid in tree(process.pid):
            with open(f"/proc/{pid}/clear_refs", "w") as handle:  # resets VmHWM
                handle.write("5")


def peaks(stack: LocalStack) -> dict[str, float]:
    return {
        name: sum(memory_kb(pid, "VmHWM") for pid in tree(p.pid)) / 1024
        for name, p in stack.processes.items()
    }


def cpu_seconds(stack: LocalStack) -> dict[str, float]:
    """CPU time (user + system) each process tree has used so far: a load-independent cost."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, process in stack.processes.items():
        total = 0
        for pid in tree(process.pid):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        out[name] = total / ticks
    return out


def run_job(stack: LocalStack, path: Path, minutes: float, srt: Path | None) -> dict[str, Any]:
    stack.kill("gateway")  # a fresh gateway per video: its idle size is the baseline
    stack.spawn("gateway")
    stack.wait_ready(("gateway",))
    time.sleep(3.0)
    gateway_pid = stack.processes["gateway"].pid
    idle = memory_kb(gateway_pid, "VmRSS") / 1024
    reset_peaks(stack)
    cpu_before = cpu_seconds(stack)
    url = stack.url("gateway")
    started = time.perf_counter()
    with path.open("rb") as handle:
        files: dict[str, Any] = {"video": (path.name, handle, "video/mp4")}
        if srt is not None:
            files["subtitles"] = (srt.name, srt.read_bytes(), "application/x-subrip")
        response = httpx.post(f"{url}/v1/videos", files=files, timeout=3600)
    response.raise_for_status()
    uploaded = time.perf_counter() - started
    status_url = url + response.json()["status_url"]
    first_shot: float | None = None
    while True:
        body = httpx.get(status_url, timeout=60).json()
        if first_shot is None and (body.get("result") or {}).get("shots"):
            first_shot = time.perf_counter() - started
        if body["status"] in ("done", "failed"):
            break
        time.sleep(1.0)
    wall = time.perf_counter() - started
    if body["status"] != "done":
        raise RuntimeError(f"job failed: {body.get('error')}")
    result = body["result"]
    memory = peaks(stack)
    cpu = {name: round(value - cpu_before.get(name, 0.0), 1) for name, value in cpu_seconds(stack).items()}
    duration = float(result["video"]["duration_s"])
    return {
        "minutes": minutes,
        "duration_s": duration,
        "shots": len(result["shots"]),
        "text_source": result.get("text_source"),
        "upload_s": round(uploaded, 1),
        "wall_s": round(wall, 1),
        "rtf": round(duration / wall, 2),
        "first_shot_s": round(first_shot, 1) if first_shot is not None else None,
        "gateway_idle_mb": round(idle),
        "gateway_above_idle_mb": round(memory["gateway"] - idle),
        "peak_mb": {name: round(value) for name, value in memory.items()},
        "cpu_s": cpu,
        "load": os.getloadavg()[0],
    }


def cpu_cell(run: dict[str, Any], names: list[str]) -> str:
    cpu = run.get("cpu_s")
    if not cpu:
        return "-"
    return " / ".join(f"{cpu.get(n, 0):.0f}" for n in names) + f" ({sum(cpu.values()):.0f})"


def table(runs: list[dict[str, Any]]) -> list[str]:
    names = ["gateway", "face", "text", "audio", "fusion"]
    lines = [
        "| code | video | text | shots | wall s | real-time factor | first shot s (% of wall) | gateway idle MB "
        "| gateway peak above idle MB | " + " | ".join(f"{n} peak MB" for n in names)
        + " | CPU s: " + " / ".join(names) + " (total) | load (1 min) |",
        "|" + "---|" * (13 + len(names) - 2),
    ]
    for run in runs:
        first = run["first_shot_s"]
        share = f"{first} ({100 * first / run['wall_s']:.0f}%)" if first is not None else "-"
        lines.append(
            f"| {run['label']} | {run['minutes']:g} min | {run['text_source']} | {run['shots']} | {run['wall_s']} | {run['rtf']}x | {share} "
            f"| {run['gateway_idle_mb']} | {run['gateway_above_idle_mb']} | "
            + " | ".join(str(run["peak_mb"].get(n, "-")) for n in names) + f" | {cpu_cell(run, names)} | {run['load']:.1f} |"
        )
    return lines


def report(runs: list[dict[str, Any]], compare: list[dict[str, Any]], baselines: tuple[str, ...] = ("old",)) -> str:
    new = {run["minutes"]: run for run in runs if run["text_source"] != "subtitles"}
    lines = [
        "# Feature-length videos: memory, speed, first shot", "",
        "`.venv/bin/python -m bench.long_video` (see its docstring). Generated 1280x720 25-fps H.264 (libx264 "
        "ultrafast) + AAC videos, without subtitles (text `asr`: speech transcribed) or with an SRT sidecar (text "
        "`subtitles`), each on a fresh gateway process; the "
        "other services stay up. CPU s: user + system time of each process tree during the job (what the "
        "job cost, whatever else ran). Machine: 2 CPU cores (see the load column).", "",
        *table([*runs, *compare]), "",
    ]
    if 5 in new and 60 in new:
        growth = new[60]["gateway_above_idle_mb"] / max(1, new[5]["gateway_above_idle_mb"]) - 1
        lines += [f"Gateway peak above idle, 5 -> 60 min: {growth:+.0%}.", ""]
    for baseline in baselines:
        lines += ratios([*runs, *compare], baseline)
    return "\n".join(lines)


def ratios(rows: list[dict[str, Any]], baseline: str = "old") -> list[str]:
    """Every run against the ``baseline``-labelled run of the same video and text source."""
    lines = []
    for run, old in ((r, o) for r in rows for o in rows if o["label"] == baseline != r["label"]):
        if (old["minutes"], old["text_source"]) != (run["minutes"], run["text_source"]):
            continue
        new_cpu, old_cpu = (sum(r.get("cpu_s", {}).values()) for r in (run, old))
        cpu = f"{new_cpu / old_cpu:.2f}" if new_cpu and old_cpu else "not measured"
        lines.append(
            f"- {run['minutes']:g} min, {run['text_source']}: real-time factor {run['rtf']}x ({run['label']}) "
            f"against {old['rtf']}x ({old['label']}), ratio {run['rtf'] / old['rtf']:.2f}; CPU s ratio {cpu}."
        )
    return [f"Side by side with {baseline}:", "", *lines, ""] if lines else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="*", default=[5.0, 20.0, 60.0])
    parser.add_argument("--subtitles", type=float, nargs="*", default=[], help="lengths to run again with an SRT")
    parser.add_argument("--label", default="new")
    parser.add_argument("--json", type=Path, help="write the figures here (and read earlier ones to add to)")
    parser.add_argument("--compare", type=Path, nargs="*", default=[], help="figures of other runs to show")
    parser.add_argument("--baseline", nargs="*", default=["old"], help="labels of the runs to compare against")
    parser.add_argument("--output", type=Path, default=REPORT)
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                        help="settings for every service of the stack, e.g. EMO_AUDIO_ASR_LANGUAGE=en")
    args = parser.parse_args(argv)
    jobs = [(m, video(m), None) for m in args.minutes] + [(m, video(m), subtitles(m)) for m in args.subtitles]
    runs = json.loads(args.json.read_text()) if args.json and args.json.is_file() else []
    root = Path(os.environ.get("EMO_BENCH_DATA", REPO_ROOT / "build" / "long_video" / f"data-{args.label}"))
    env = {"EMO_GATEWAY_DATA_DIR": str(root), **dict(item.split("=", 1) for item in args.set)}
    with LocalStack.on_free_ports(env=env, log_dir=root / "logs", ready_timeout_s=600) as stack:
        for minutes, path, srt in jobs:
            run = {"label": args.label, **run_job(stack, path, minutes, srt)}
            print(json.dumps(run), flush=True)
            key = (run["label"], run["minutes"], run["text_source"])
            runs = [r for r in runs if (r["label"], r["minutes"], r["text_source"]) != key] + [run]
            if args.json:
                with open(args.json, "w") as handle:
                    json.dump(runs, handle, indent=1)
    compare = [run for path in args.compare for run in json.loads(path.read_text())]
    text = report(runs, compare, tuple(args.baseline))
    write_report(args.output, text, "bench.long_video")  # stamped: commit, command, model hashes
    print(args.output.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
