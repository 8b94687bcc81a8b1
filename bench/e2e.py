"""End-to-end real-time factor of the whole product on CPU, next to the decode floor.

``.venv/bin/python -m bench.e2e`` (needs ``make models`` and espeak-ng) writes
``bench/reports/e2e.md``. The clip is the demo sample (devtools.sample_video) rendered at
1280x720, 30 fps, H.264 + AAC, its four-shot script played twice (~45 s, 8 shots).
Every service runs as its own uvicorn process in embedded mode at default settings
(devtools.serve.LocalStack); the clip is uploaded through ``POST /v1/videos?wait=true``
and the wall time runs from the first byte of the upload to the result. The floor is
one PyAV pass that demuxes and decodes every video and audio frame of the same file
(no conversion, no analysis): no pipeline that reads the whole video can beat it.
Runs: with the SRT sidecar (text from subtitles) and without (speech transcribed by
the audio service), after one warm-up job so model loading is not counted; each
``--rounds`` times (the two alternating), the median wall time reported. Stage
times come from the gateway's ``emo_gateway_stage_duration_seconds`` histogram
(face/text/audio/fusion are summed per request and overlap in time; the median round's).

Side by side with other code: run the same script in a checkout of it with ``--json
old.json`` (the script copied in, that checkout's own ``make models``), then here with
``--compare old.json``: the report gets both walls per run and their ratio. Run the two
back to back on a quiet machine, and once more the other way round to see the drift.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import av
import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench._common import write_report
from devtools.sample_video import Sample, cached
from devtools.serve import LocalStack
from emocore.settings import REPO_ROOT

REPORT = REPO_ROOT / "bench" / "reports" / "e2e.md"
RUNS = (("video + SRT (text from subtitles)", True), ("video only (text from ASR)", False))


def decode_floor(path: Path, runs: int = 3) -> float:
    """Median seconds of one demux + decode of every video and audio frame."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        with av.open(str(path)) as container:
            container.streams.video[0].thread_type = "AUTO"
            for _frame in container.decode(*container.streams.video, *container.streams.audio):
                pass
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def stage_sums(gateway: str) -> dict[str, float]:
    text = httpx.get(f"{gateway}/metrics").text
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "emo_gateway_stage_duration_seconds_sum":
                sums[sample.labels["stage"]] = sample.value
    return sums


def run_job(gateway: str, clip: Sample, subtitles: bool) -> tuple[float, dict[str, Any], dict[str, float]]:
    before = stage_sums(gateway)
    files: dict[str, Any] = {"video": (clip.video.name, clip.video.read_bytes(), "video/mp4")}
    if subtitles:
        files["subtitles"] = (clip.srt.name, clip.srt.read_bytes(), "application/x-subrip")
    began = time.perf_counter()
    response = httpx.post(f"{gateway}/v1/videos", params={"wait": "true"}, files=files, timeout=1800)
    wall = time.perf_counter() - began
    response.raise_for_status()
    after = stage_sums(gateway)
    return wall, response.json(), {k: after[k] - before.get(k, 0.0) for k in after}


Run = tuple[str, float, dict[str, Any], dict[str, float]]  # name, median wall, result, stage sums


def side_by_side(runs: list[Run], old: dict[str, Any]) -> list[str]:
    """Rows comparing this code's median walls with another checkout's (``--compare``)."""
    lines = [
        "", f"Side by side with `{old['commit'][:12]}` (its own models; same clip, same settings, "
        f"{old['rounds']} rounds each, run just before):", "",
        "| run | wall before (s) | wall now (s) | real-time factor before / now | now / before |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, wall, result, _ in runs:
        before = old["walls"][name]
        duration = result["video"]["duration_s"]
        lines.append(f"| {name} | {before:.2f} | {wall:.2f} | {duration / before:.2f}x / {duration / wall:.2f}x "
                     f"| **{wall / before:.2f}** |")
    return lines


def report(clip: Sample, floor: float, runs: list[Run], load: list[float], rounds: int,
           old: dict[str, Any] | None) -> str:
    video = runs[0][2]["video"]
    lines = [
        "# End-to-end real-time factor (CPU, embedded, default settings)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"(shared with other work: 1-minute load average {load[0]:.1f} before, {load[1]:.1f} after), "
        f"Python {platform.python_version()}. Reproduce: `.venv/bin/python -m bench.e2e`.",
        "",
        f"Clip: `{clip.video.relative_to(REPO_ROOT)}`, {video['width']}x{video['height']}, "
        f"{video['fps']:.0f} fps, {video['duration_s']:.1f} s, H.264 + AAC, {len(runs[0][2]['shots'])} shots "
        "(demo sample at 720p, script played twice).",
        "",
        f"Floor: one PyAV demux + decode of every frame of the file: **{floor:.2f} s** "
        f"({video['duration_s'] / floor:.0f}x real time).",
        "",
        f"| run | wall (s, median of {rounds}) | real-time factor (video s / wall s) | wall / decode floor |",
        "| --- | --- | --- | --- |",
    ]
    for name, wall, result, _ in runs:
        duration = result["video"]["duration_s"]
        lines.append(f"| {name} | {wall:.1f} | **{duration / wall:.2f}x** | {wall / floor:.1f}x |")
    if old is not None:
        lines += side_by_side(runs, old)
    lines += ["", "Time per stage (s; face/text/audio/fusion summed over requests, which overlap):", ""]
    stages = ["probe", "decode", "shots", "face", "text", "audio", "fusion"]
    lines += ["| run | " + " | ".join(stages) + " |", "|" + " --- |" * (len(stages) + 1)]
    for name, _, _, sums in runs:
        lines.append(f"| {name} | " + " | ".join(f"{sums.get(s, 0.0):.2f}" for s in stages) + " |")
    lines += [
        "",
        "Per-shot result of the subtitles run (top labels):",
        "",
        "| shot | time (s) | face | text | audio | fused | review |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for shot in runs[0][2]["shots"]:
        def top(section: dict[str, Any] | None) -> str:
            return "error" if section is None else str(section.get("label") or "-")

        fused = shot.get("fused") or {}
        lines.append(
            f"| {shot['index']} | {shot['start_s']:.1f}-{shot['end_s']:.1f} | {top(shot['face'])} | "
            f"{top(shot['text'])} | {top(shot['audio'])} | {top(shot.get('fused'))} | "
            f"{'yes' if fused.get('needs_review') else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="times the four-shot script is played")
    parser.add_argument("--rounds", type=int, default=3, help="jobs per run (median reported)")
    parser.add_argument("--json", type=Path, help="also write the median walls here (for --compare)")
    parser.add_argument("--compare", type=Path, help="--json file of another checkout's run, reported beside")
    args = parser.parse_args(argv)
    clip = cached(f"bench720x{args.repeat}", size=(1280, 720), repeat=args.repeat)
    warmup = cached("small")
    load = [os.getloadavg()[0]]
    floor = decode_floor(clip.video)
    root = REPO_ROOT / "build" / "bench-e2e"
    env = {"EMO_GATEWAY_DATA_DIR": str(root / "gateway")}
    runs = []
    with LocalStack.on_free_ports(env=env, log_dir=root / "logs", ready_timeout_s=300) as stack:
        gateway = stack.url("gateway")
        run_job(gateway, warmup, subtitles=False)  # load every model once
        jobs: dict[str, list[tuple[float, dict[str, Any], dict[str, float]]]] = {}
        for _ in range(args.rounds):
            for name, subtitles in RUNS:
                wall, result, sums = run_job(gateway, clip, subtitles)
                jobs.setdefault(name, []).append((wall, result, sums))
                print(f"{name}: {wall:.1f} s for {result['video']['duration_s']:.1f} s of video", flush=True)
        for name, _ in RUNS:
            wall, result, sums = sorted(jobs[name], key=lambda job: job[0])[len(jobs[name]) // 2]
            runs.append((name, wall, result, sums))
    load.append(os.getloadavg()[0])
    if args.json:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
        with open(args.json, "w", encoding="utf-8") as handle:  # figures for --compare, not a report
            json.dump({"commit": commit.strip(), "rounds": args.rounds,
                       "walls": {name: wall for name, wall, _, _ in runs}}, handle)
    old = json.loads(args.compare.read_text()) if args.compare else None
    write_report(REPORT, report(clip, floor, runs, load, args.rounds, old), "bench.e2e")
    print(f"floor {floor:.2f} s; wrote {REPORT.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
