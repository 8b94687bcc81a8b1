"""Audio-path throughput in audio-seconds processed per second, embedded vs Triton.

``.venv/bin/python -m bench.audio_throughput`` (needs ``make models`` and ``make triton-env``)
writes ``bench/reports/audio_throughput.md``. On loopback, side by side: two
``uvicorn services.audio.app:app`` processes (embedded backend; Triton backend against a
local ``tritonserver`` serving only ``audio_emotion``) get the same real speech (RAVDESS
clips as WAV, one clip per request like a shot, and 30 s segments of eight clips) for
``/v1/predict``; then the ``audio_emotion`` model alone on 4 s windows through
EmbeddedBackend and TritonBackend; then ``/v1/transcribe`` (faster-whisper in the
service; the same in both modes). Compared items run interleaved, round by round, and
are reported as medians, because the 2 CPU cores are shared and absolute figures drift.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

from emocore.inference.embedded import EmbeddedBackend
from emocore.inference.triton import TritonBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from models.triton_python import local_repository
from services.audio.decode import SAMPLE_RATE
from services.audio.model import WINDOW_SAMPLES
from tests.support.triton import free_port, run_triton
from tests.unit.test_audio_media import RAVDESS, clip, encode_audio, song_part

MODEL = "audio_emotion"
WORK = REPO_ROOT / "build" / "bench-audio"
REPORT = REPO_ROOT / "bench" / "reports" / "audio_throughput.md"
Job = Callable[[], Awaitable[None]]
Backends = dict[str, EmbeddedBackend | TritonBackend]
Results = dict[tuple[object, ...], list[float]]


def speech_clips(count: int) -> list[np.ndarray]:
    """Real speech: the first clip of each emotion for actors 01, 02, ... (16 kHz float32)."""
    paths = sorted(RAVDESS.glob("Actor_*/03-01-0[1-8]-02-01-01-*.flac"))
    paths = paths or sorted(RAVDESS.glob("Actor_*/*.flac"))
    return [clip(p) for p in paths[:count]]


@contextmanager
def audio_service(name: str, triton_url: str | None) -> Iterator[str]:
    """``uvicorn services.audio.app:app`` on a free port; yields its URL once ready."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMO_AUDIO_")}
    if triton_url:
        env["EMO_AUDIO_TRITON_URL"] = triton_url
    port = free_port()
    log = open(WORK / f"service-{name}.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "services.audio.app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/health/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"audio service {name} did not become ready; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


async def timed(jobs: list[Job], concurrency: int) -> float:
    """Run the jobs with at most ``concurrency`` in flight; wall seconds."""
    queue = list(reversed(jobs))

    async def worker() -> None:
        while queue:
            await queue.pop()()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began


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
    source = work / "source"
    shutil.rmtree(source, ignore_errors=True)
    (source / MODEL / "1").mkdir(parents=True)
    shutil.copy2(DEFAULT_MODEL_REPOSITORY / MODEL / "config.pbtxt", source / MODEL / "config.pbtxt")
    (source / MODEL / "1" / "model.onnx").symlink_to((DEFAULT_MODEL_REPOSITORY / MODEL / "1" / "model.onnx").resolve())
    return local_repository(source, work / "triton")


def med(values: list[float]) -> float:
    return statistics.median(values)


def ratio(num: list[float], den: list[float]) -> float:
    """Median of per-round ratios (the two were measured back to back)."""
    return statistics.median(n / d for n, d in zip(num, den, strict=True))


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
            wall = await timed(post_jobs(client, f"{urls['embedded']}/v1/transcribe", [song]), 1)
            results.setdefault(("asr",), []).append(60.0 / wall)
            print(f"asr: {60.0 / wall:.1f} audio-s/s", flush=True)


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
    for kind in ("shots (1 clip each)", "30 s segments"):
        for conc in args.clients:
            e, t = results[("service", kind, conc, "embedded")], results[("service", kind, conc, "triton")]
            lines.append(f"| {kind} | {conc} | {med(e):.1f} | {med(t):.1f} | {ratio(t, e):.2f} |")
    lines += [
        "", "## `audio_emotion` model alone", "",
        f"{args.windows} real 4 s windows per trial, sent in requests of `batch` windows with "
        "`clients` requests in flight (`EmbeddedBackend.infer` vs `TritonBackend.infer`).", "",
        "| batch | clients | embedded | triton | triton/embedded |", "|---:|---:|---:|---:|---:|",
    ]
    for batch in args.batches:
        for conc in args.clients:
            e, t = results[("model", batch, conc, "embedded")], results[("model", batch, conc, "triton")]
            lines.append(f"| {batch} | {conc} | {med(e):.1f} | {med(t):.1f} | {ratio(t, e):.2f} |")
    lines += [
        "", "## `/v1/transcribe` (faster-whisper tiny.en, int8, CPU, in the service)", "",
        f"60 s of the test video's song (19-79 s), one request: **{med(results[('asr',)]):.1f} "
        "audio-s/s**. ASR never goes through Triton (docs/audio.md), so this figure is the "
        "same in both modes.", "",
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
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    results: Results = {}
    with (
        run_triton(only_audio_repository(WORK)) as triton,
        audio_service("embedded", None) as emb,
        audio_service("triton", triton.http_url) as tri,
    ):
        backends: Backends = {"embedded": EmbeddedBackend(DEFAULT_MODEL_REPOSITORY),
                    "triton": TritonBackend(triton.http_url)}
        try:
            await measure(args, {"embedded": emb, "triton": tri}, backends, results)
        finally:
            for backend in backends.values():
                await backend.close()
    info = {
        "when": time.strftime("Measured %Y-%m-%d %H:%M %Z"),
        "machine": f"{os.cpu_count()} CPUs, onnxruntime {__import__('onnxruntime').__version__}, "
                   "tritonserver 2.51 (nvidia-pytriton)",
        "load_before": load_before,
        "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    return report(results, args, info)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--windows", type=int, default=32)
    parser.add_argument("--output", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    text = asyncio.run(run(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
