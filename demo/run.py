"""``make demo``: the whole job on a real sample video, every service its own process.

Builds the sample (devtools.sample_video; ``--language nl|de|fr`` for another
language) under build/demo, starts face, text, audio, fusion
and the gateway as local uvicorn processes (devtools.serve.LocalStack, embedded
inference), uploads the video with its SRT through the HTTP API, prints one line
per shot, writes the JSON result to build/demo/result.json and prints the address of
the job's review page. With ``--keep`` the stack stays up until Ctrl-C (or SIGTERM)
so a person can open that page.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from devtools import sample_video as sample
from devtools.serve import LocalStack
from emocore.settings import REPO_ROOT

OUT = REPO_ROOT / "build" / "demo"


def cell(section: dict[str, Any] | None, nothing: str) -> str:
    """``label 0.62`` for a modality, ``nothing`` when it had nothing to judge, ``ERROR`` if it failed."""
    if section is None:
        return "ERROR"
    label, scores = section.get("label"), section.get("scores")
    return f"{label} {scores[label]:.2f}" if label and scores else nothing


def table(result: dict[str, Any]) -> str:
    header = f"{'shot':>4}  {'time (s)':>13}  {'face':16}  {'text':16}  {'audio':16}  {'fused':16}  review"
    lines = [header, "-" * len(header)]
    for shot in result["shots"]:
        fused = shot.get("fused")
        review = "-" if fused is None else ("YES" if fused["needs_review"] else "no")
        span = f"{shot['start_s']:.2f}-{shot['end_s']:.2f}"
        lines.append(
            f"{shot['index']:>4}  {span:>13}  "
            f"{cell(shot['face'], 'no face'):16}  {cell(shot['text'], 'no words'):16}  "
            f"{cell(shot['audio'], 'no speech'):16}  {cell(fused, '-'):16}  {review}"
        )
        text = shot.get("text") or {}
        if text.get("lines_en"):
            lines.append(f"{'':>21}text (English translation): {' '.join(text['lines_en'])}")
        if text.get("reason"):
            lines.append(f"{'':>21}text: {text['reason']}")
        if shot.get("errors"):
            lines.append(f"{'':>21}errors: {shot['errors']}")
    return "\n".join(lines)


def hold(stack: LocalStack) -> None:
    """Block until Ctrl-C or SIGTERM, or until a service exits."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Both explicitly: a process started in the background may inherit SIGINT ignored, and then
    # Python would not turn Ctrl-C into KeyboardInterrupt on its own.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    try:
        while all(process.poll() is None for process in stack.processes.values()):
            time.sleep(0.5)
        print("a service exited; stopping the stack", flush=True)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)


def run(out: Path, timeout_s: float, keep: bool = False, language: str = "en") -> dict[str, Any]:
    print(f"building the sample video (language: {language}) ...", flush=True)
    clip = sample.build(out, language=language)
    print(f"  {clip.video.relative_to(REPO_ROOT)}: {clip.duration_s:.1f} s, {len(clip.cues)} subtitle lines")
    env = {"EMO_GATEWAY_DATA_DIR": str(out / "var")}
    print("starting face, text, audio, fusion and gateway as local processes ...", flush=True)
    with LocalStack.on_free_ports(env=env, log_dir=out / "logs") as stack:
        gateway = stack.url("gateway")
        print(f"  gateway at {gateway} (logs in {stack.log_dir.relative_to(REPO_ROOT)})")
        started = time.perf_counter()
        with clip.video.open("rb") as video, clip.srt.open("rb") as srt:
            response = httpx.post(
                f"{gateway}/v1/videos",
                params={"wait": "true"},
                files={"video": (clip.video.name, video, "video/mp4"), "subtitles": (clip.srt.name, srt, "application/x-subrip")},
                timeout=timeout_s,
            )
        wall = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"the gateway answered {response.status_code}: {response.text[:500]}")
        result: dict[str, Any] = response.json()
        print(f"\n{clip.duration_s:.1f} s of video analysed in {wall:.1f} s; text source: {result['text_source']}; "
              f"language: {result.get('language')}\n")
        print(table(result))
        (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nfull result: {(out / 'result.json').relative_to(REPO_ROOT)}")
        print(f"review page: {gateway}/ui/videos/{result['id']}  (all jobs: {gateway}/ui/)")
        if keep:
            print("the stack stays up until Ctrl-C", flush=True)
            hold(stack)
        else:
            print("the stack stops now; `make demo KEEP=1` (python -m demo.run --keep) keeps it up to open the page")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the result")
    parser.add_argument("--keep", action="store_true", help="keep the stack up (review page open) until Ctrl-C")
    parser.add_argument("--language", default="en", choices=sorted(sample.SCRIPTS),
                        help="spoken and subtitle language of the sample (espeak-ng voices)")
    args = parser.parse_args(argv)
    run(args.out, args.timeout, keep=args.keep, language=args.language)
    return 0


if __name__ == "__main__":
    sys.exit(main())
