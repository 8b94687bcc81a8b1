"""Audio-path throughput in audio-seconds processed per second, embedded vs Triton.

``.venv/bin/python -m bench.audio_throughput`` (needs ``make models`` and ``make triton-env``)
writes ``bench/reports/audio_throughput.md``. On loopback, side by side: two
``uvicorn services.audio.app:app`` processes (embedded backend; Triton backend against a
local ``tritonserver`` serving only ``audio_emotion``) get the same real speech (RAVDESS
clips as WAV, one clip per request like a shot, and 30 s segments of eight clips) for
``/v1/predict``; then the ``audio_emotion`` model alone on 4 s windows through
EmbeddedBackend and TritonBackend; then ``/v1/transcribe`` (faster-whisper in the
service, the same in both modes: tiny.en on English, Whisper base on German speech,
detection included, and with translation). Compared items run interleaved, round by round, and
are reported as medians, because the 2 CPU cores are shared and absolute figures drift.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench._common import (
    load_average,
    model_source,
    ratio,
    report_main,
    run_info,
    run_requests,
    service_process,
    triton_machine,
)
from bench.asr_languages import script_audio
from devtools.audio import RAVDESS, clip, encode_audio, song_part
from devtools.speech_scripts import SCRIPTS
from devtools.triton import run_triton
from emocore.inference.embedded import EmbeddedBackend
from emocore.inference.triton import TritonBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from models.triton_python import local_repository
from services.audio.decode import SAMPLE_RATE
from services.audio.model import WINDOW_SAMPLES

MODEL = "audio_emotion"
WORK = REPO_ROOT / "build" / "bench-audio"
REPORT = REPO_ROOT / "bench" / "reports" / "audio_throughput.md"
Job = Callable[[], Awaitable[None]]
Backends = dict[str, EmbeddedBackend | TritonBackend]
Results = dict[tuple[object, ...], list[float]]
ASR_ROWS = (
    "song, 60 s (19-79 s) | `/v1/transcribe` | base detects, tiny.en reads",
    "song, 60 s (19-79 s) | `?language=en` | tiny.en alone",
    "German script (espeak-ng) | `/v1/transcribe` | base detects and reads",
    "German script (espeak-ng) | `?translate=true` | base detects, reads and translates",
)


def speech_clips(count: int) -> list[np.ndarray]:
    """Real speech: the first clip of each emotion for actors 01, 02, ... (16 kHz float32)."""
    paths = sorted(RAVDESS.glob("Actor_*/03-01-0[1-8]-02-01-01-*.flac"))
    paths = paths or sorted(RAVDESS.glob("Actor_*/*.flac"))
    return [clip(p) for p in paths[:count]]


async def timed(jobs: list[Job], concurrency: int) -> float:
    """Run the jobs with at most ``concurrency`` in flight; wall seconds."""
    seconds, _ = await run_requests(jobs, concurrency)
    return seconds


def post_jobs(client: httpx.AsyncClient, url: str, bodies: list[bytes]) -> list[Job]:
    def job(body: bytes) -> Job:
        async def call() -> None:
            response = await client.post(url, content=body, headers={"Content-Type": "audio/wav"})
            response.raise_for_status()
        return call
    return [job(b) for b in bodies]


def model_jobs(backend: EmbeddedBackend | TritonBackend, windows: np.ndarray, batch: int) -> list[Job]:
    def job(chunk: np.ndarray) -> Job:
        async def call() -> None:
            await backend.infer(MODEL, {"audio": chunk}, ["probs"])
        return call
    return [job(np.ascontiguousarray(windows[i : i + batch])) for i in range(0, len(windows), batch)]


def only_audio_repository(work: Path) -> Path:
    return local_repository(model_source(MODEL, work), work / "triton")


def med(values: list[float]) -> float:
    return statistics.median(values)


async def measure(args: argparse.Namespace, urls: dict[str, str], backends: Backends,
                  results: Results) -> None:
    clips = speech_clips(16)
    shots = [encode_audio(c) for c in clips]
    long = [encode_audio(np.concatenate(clips[i : i + 8])) for i in range(0, 16, 4)][:3]
    inputs = {"shots (1 clip each)": (shots, sum(len(c) for c in clips) / SAMPLE_RATE),
              "30 s segments": (long, sum(len(np.concatenate(clips[i : i + 8])) for i in (0, 4, 8)) / SAMPLE_RATE)}
    windows = np.zeros((args.windows, WINDOW_SAMPLES), np.float32)
    for i in range(args.windows):
        c = clips[i % len(clips)][:WINDOW_SAMPLES]
        windows[i, : len(c)] = c
    song = encode_audio(song_part(19.0, 79.0))
    german_samples, _ = script_audio(SCRIPTS["de"])
    german, german_s = encode_audio(german_samples), len(german_samples) / SAMPLE_RATE
    asr_cases = [(ASR_ROWS[0], song, {}, 60.0), (ASR_ROWS[1], song, {"language": "en"}, 60.0),
                 (ASR_ROWS[2], german, {}, german_s), (ASR_ROWS[3], german, {"translate": "true"}, german_s)]
    async with httpx.AsyncClient(timeout=600) as client:
        for url in urls.values():  # warm-up
            await timed(post_jobs(client, f"{url}/v1/predict", shots[:2]), 1)
        for backend in backends.values():
            await timed(model_jobs(backend, windows[:16], 8), 1)
        for r in range(args.rounds):
            order = list(urls) if r % 2 == 0 else list(reversed(urls))
            for kind, (bodies, seconds) in inputs.items():
                for conc in args.clients:
                    for name in order:
                        wall = await timed(post_jobs(client, f"{urls[name]}/v1/predict", bodies), conc)
                        results.setdefault(("service", kind, conc, name), []).append(seconds / wall)
                        print(f"service {name} {kind} c={conc}: {seconds / wall:.1f} audio-s/s", flush=True)
            for batch in args.batches:
                for conc in args.clients:
                    for name in (list(backends) if r % 2 == 0 else list(reversed(backends))):
                        wall = await timed(model_jobs(backends[name], windows, batch), conc)
                        rate = len(windows) * WINDOW_SAMPLES / SAMPLE_RATE / wall
                        results.setdefault(("model", batch, conc, name), []).append(rate)
                        print(f"model {name} batch={batch} c={conc}: {rate:.1f} audio-s/s", flush=True)
            for row, body, params, seconds in asr_cases:
                query = "&".join(f"{k}={v}" for k, v in params.items())
                wall = await timed(post_jobs(client, f"{urls['embedded']}/v1/transcribe?{query}", [body]), 1)
                results.setdefault(("asr", row), []).append(seconds / wall)
                print(f"asr {row}: {seconds / wall:.1f} audio-s/s", flush=True)


def rows(results: Results, part: str, items: list[Any], clients: list[int]) -> list[str]:
    """Table rows ``| item | clients | embedded | triton | triton/embedded |`` of one part."""
    out = []
    for item in items:
        for conc in clients:
            e, t = results[(part, item, conc, "embedded")], results[(part, item, conc, "triton")]
            out.append(f"| {item} | {conc} | {med(e):.1f} | {med(t):.1f} | {ratio(t, e):.2f} |")
    return out


def report(results: Results, args: argparse.Namespace, info: dict[str, str]) -> str:
    lines = [
        "# Audio path throughput", "",
        f"Command: `.venv/bin/python -m bench.audio_throughput --rounds {args.rounds}` "
        f"(`make bench` runs it). {info['when']}.", "",
        f"Machine: {info['machine']}. Load average before/after: {info['load_before']} / "
        f"{info['load_after']} (2 shared cores: compare columns of one row, measured back to "
        "back, rather than absolute figures).", "",
        "Figures are **audio-seconds processed per wall-clock second** (higher is better; "
        f"1.0 = real time), medians over {args.rounds} rounds; triton/embedded is the median "
        "of per-round ratios.", "",
        "## `/v1/predict` over HTTP (uvicorn, 1 worker, loopback)", "",
        "Decode, speech detection (Silero, CPU, in the service) and the emotion model "
        "(`embedded`: ONNX Runtime in the service; `triton`: local `tritonserver`, Python "
        "backend running the same ONNX file, production config with dynamic batching). "
        "Input: 16 RAVDESS speech clips as 16 kHz WAV, one per request (shot-sized, "
        "~3.8 s, one 4 s window each), and three 30 s segments of eight clips (8 windows each).", "",
        "| input | clients | embedded | triton | triton/embedded |", "|---|---:|---:|---:|---:|",
    ]
    lines += rows(results, "service", ["shots (1 clip each)", "30 s segments"], args.clients)
    lines += [
        "", "## `audio_emotion` model alone", "",
        f"{args.windows} real 4 s windows per trial, sent in requests of `batch` windows with "
        "`clients` requests in flight (`EmbeddedBackend.infer` vs `TritonBackend.infer`).", "",
        "| batch | clients | embedded | triton | triton/embedded |", "|---:|---:|---:|---:|---:|",
    ]
    lines += rows(results, "model", args.batches, args.clients)
    lines += [
        "", "## `/v1/transcribe` (faster-whisper, int8, CPU, in the service)", "",
        "One request at a time; the service's defaults: Whisper base detects the language "
        "(first 30 s), English goes to tiny.en (greedy), other languages to base (beam 5). "
        "ASR never goes through Triton (docs/audio.md), so these figures are the same in "
        "both modes.", "",
        "| audio | request | models | audio-s/s |", "|---|---|---|---:|",
        *[f"| {row} | {med(results[('asr', row)]):.1f} |" for row in ASR_ROWS], "",
        "## Notes", "",
        "- Local Triton has only the Python backend (docs/triton_local.md): each execution "
        "crosses the Python stub's IPC; production uses the C++ onnxruntime backend on GPU.",
        "- Client, services and Triton share the same 2 cores; the idle service's process "
        "and the client's CPU are part of every figure.",
        "- In `/v1/predict`, speech detection and decoding run in the service in both modes: "
        "Triton offloads only the emotion model.", "",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> str:
    WORK.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    results: Results = {}
    with (
        run_triton(only_audio_repository(WORK)) as triton,
        service_process("services.audio.app", "EMO_AUDIO_", "embedded", None, WORK) as emb,
        service_process("services.audio.app", "EMO_AUDIO_", "triton", triton.http_url, WORK) as tri,
    ):
        backends: Backends = {"embedded": EmbeddedBackend(DEFAULT_MODEL_REPOSITORY),
                    "triton": TritonBackend(triton.http_url)}
        try:
            await measure(args, {"embedded": emb, "triton": tri}, backends, results)
        finally:
            for backend in backends.values():
                await backend.close()
    return report(results, args, run_info(load_before, triton_machine()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--windows", type=int, default=32)
    return report_main(parser, argv, run, REPORT)


if __name__ == "__main__":
    sys.exit(main())
