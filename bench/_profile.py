"""Where our face path spends its time: py-spy samples of ``FaceEmotionModel`` over the frames.

``hotspots(frames_path)`` runs ``python -m bench._profile FRAMES PASSES`` under
``py-spy record`` (sampling, no code change) and returns the share of busy samples
spent inside each function of the face path (inclusive: a function's share contains its
callees'). Only samples taken inside the analysis count (not imports or model loading).
``detector_sweep`` times our detector alone (``FaceDetector``, CenterFace on the embedded
backend) as served and under other settings, next to fer's Haar cascade, with the faces each
finds, to show which knobs buy speed and what they cost.
"""

from __future__ import annotations

import asyncio
import collections
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from cv2 import data as cv2_data

from bench._common import ratio
from bench._face import WORK, served_detector, served_model
from emocore.inference.embedded import EmbeddedBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from services.face.detector import INPUT_NAME as DETECTOR_INPUT
from services.face.detector import FaceDetector
from services.face.metrics import FaceMetrics
from services.face.model import INPUT_NAME, INPUT_SIZE, FaceEmotionModel

# Frames whose presence marks a sample as part of the timed analysis (py-spy names frames by
# qualified name: the worker-thread lambdas of FaceDetector.detect count too).
BUSY = ("FaceEmotionModel.", "FaceDetector.", "EmbeddedBackend.infer_sync")
PROJECT = ("services/", "emocore/")
INFERENCE = WORK / "ours.inference.json"  # the profiled passes' time per model, from our metrics
# Shown even when small.
ALWAYS = ("FaceEmotionModel.classify", "FaceEmotionModel.predict", "FaceDetector.detect")


def _frame_name(frame: str) -> str:
    """'func (path/file.py:12)' -> 'func (file.py)'."""
    match = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    return f"{match.group(1)} ({Path(match.group(2)).name})"


def hotspots(frames_path: Path, passes: int = 6,
             top: int = 14) -> tuple[list[tuple[float, str]], int, dict[str, float]]:
    """Inclusive share of busy samples per face-path function (and C call sites), largest first;
    the number of busy samples; and each model's share of the profiled passes' wall time spent
    awaiting its inference."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    raw = WORK / "ours.pyspy.txt"
    subprocess.run(
        [py_spy, "record", "--format", "raw", "--rate", "250", "--output", str(raw), "--",
         sys.executable, "-m", "bench._profile", str(frames_path), str(passes)],
        cwd=REPO_ROOT, check=True, capture_output=True,
    )
    timing = json.loads(INFERENCE.read_text())
    by_model = {name: seconds / timing["seconds"] for name, seconds in timing["models"].items()}
    inclusive: collections.Counter[str] = collections.Counter()
    busy = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any(marker in f for f in frames for marker in BUSY):
            continue
        busy += int(count)
        names = {_frame_name(f) for f in frames
                 if any(p in f for p in PROJECT) and "<locals>" not in f}
        names.add(f"{_frame_name(frames[-1])} [leaf]")
        for name in names:
            inclusive[name] += int(count)
    if not busy:
        return [], 0, by_model
    shown = [name for name, _ in inclusive.most_common(top)]
    shown += [name for name in inclusive if name.startswith(ALWAYS) and name not in shown]
    spots = sorted(((inclusive[name] / busy, name) for name in shown), key=lambda spot: -spot[0])
    return spots, busy, by_model


Boxes = Sequence[Sequence[object]]


async def detector_sweep(frames: list[np.ndarray], per_call: int,
                         rounds: int = 2) -> list[tuple[str, float, float, int, int]]:
    """(setting, frames/s, x fer's, carphone frames with a face, faces in astronaut), interleaved.

    ``frames``: RGB, the carphone frames then the astronaut. fer's cascade gets each frame
    alone (grey conversion included, as in fer); our detector gets ``per_call`` frames per
    ``detect`` call unless the setting says otherwise.
    """
    fer = cv2.CascadeClassifier(cv2_data.haarcascades + "haarcascade_frontalface_default.xml")
    backend, metrics = EmbeddedBackend(DEFAULT_MODEL_REPOSITORY), FaceMetrics()

    async def fer_detect(chunk: list[np.ndarray]) -> Boxes:
        return [list(fer.detectMultiScale(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), 1.1, 5,
                                          minSize=(50, 50))) for f in chunk]

    def sizes(detector: FaceDetector) -> str:
        """The model's input for a carphone frame and for the astronaut, as W x H."""
        shapes = [detector.prepare_frame(f)[0].shape for f in (frames[0], frames[-1])]
        return f"inputs {shapes[0][1]}x{shapes[0][0]} / {shapes[1][1]}x{shapes[1][0]}"

    served = served_detector(backend, metrics)
    variants: dict[str, dict[str, Any]] = {
        f"face {served.face_px * 3 // 4} px": {"face_px": served.face_px * 3 // 4},
        f"face {served.face_px * 3 // 2} px": {"face_px": served.face_px * 3 // 2},
        f"face {served.face_px * 2} px": {"face_px": served.face_px * 2},
        "threshold 0.3": {"threshold": 0.3},
        "threshold 0.7": {"threshold": 0.7},
    }
    settings: dict[str, tuple[Callable[[list[np.ndarray]], Awaitable[Boxes]], int]] = {
        "fer's: default Haar cascade, scale 1.1, 5 neighbours, min 50 px, per frame": (fer_detect, 1),
        f"ours as served (face {served.face_px} px, threshold {served.threshold}, batches of "
        f"{served.batch_size}; {sizes(served)}), {per_call} frames/call": (served.detect, per_call),
        "ours as served, 1 frame/call": (served.detect, 1),
        f"ours, batches of 1, {per_call} frames/call": (
            served_detector(backend, metrics, batch_size=1).detect, per_call),
    }
    for label, changes in variants.items():
        detector = served_detector(backend, metrics, **changes)
        settings[f"ours, {label} ({sizes(detector)})"] = (detector.detect, per_call)

    async def detect_all(name: str) -> Boxes:
        detect, size = settings[name]
        boxes: list[Sequence[object]] = []
        for start in range(0, len(frames), size):
            boxes += await detect(frames[start : start + size])
        return boxes

    for name in settings:  # warm-up: ONNX Runtime's first run of each input shape
        await detect_all(name)
    times: dict[str, list[float]] = collections.defaultdict(list)
    found: dict[str, list[int]] = {}
    for r in range(rounds):
        for name in settings if r % 2 == 0 else reversed(list(settings)):
            began = time.perf_counter()
            boxes = await detect_all(name)
            times[name].append(len(frames) / (time.perf_counter() - began))
            found[name] = [len(b) for b in boxes]
    fer_name = next(iter(settings))
    return [(name, float(np.median(times[name])), ratio(times[name], times[fer_name]),
             sum(1 for n in found[name][:-1] if n), found[name][-1]) for name in settings]


def warm_up(backend: EmbeddedBackend, model: FaceEmotionModel, frames: list[np.ndarray]) -> None:
    """Load both sessions and run each detector input shape once, through ONNX Runtime directly
    so that none of it is counted as busy."""
    inputs = {tensor.shape: tensor for tensor in (model.detector.prepare_frame(f)[0] for f in frames)}
    for tensor in inputs.values():
        backend.session(model.detector.model_name).run(None, {DETECTOR_INPUT: tensor[None]})
    crops = np.zeros((1, 1, INPUT_SIZE, INPUT_SIZE), np.float32)
    backend.session(model.model_name).run(None, {INPUT_NAME: crops})


def main() -> None:
    """Profile target: our in-process per-frame analysis of the saved frames, PASSES times."""
    from bench.face_vs_fer import ours

    data = np.load(sys.argv[1])
    frames = [data[k] for k in sorted(data.files)]
    backend = EmbeddedBackend(DEFAULT_MODEL_REPOSITORY)
    model = served_model(backend)
    warm_up(backend, model, frames)

    async def run() -> float:
        began = time.perf_counter()
        for _ in range(int(sys.argv[2])):
            await ours(model, frames, 1)
        return time.perf_counter() - began

    seconds = asyncio.run(run())
    models = {}
    for name in (model.detector.model_name, model.model_name):
        labels = {"service": "face", "model": name, "backend": backend.name}
        value = model.metrics.registry.get_sample_value("emo_inference_duration_seconds_sum", labels)
        models[name] = value or 0.0
    INFERENCE.write_text(json.dumps({"seconds": seconds, "models": models}))


if __name__ == "__main__":
    main()
