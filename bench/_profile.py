"""Where our face path spends its time: py-spy samples of ``FaceEmotionModel`` over the frames.

``hotspots(frames_path)`` runs ``python -m bench._profile FRAMES PASSES`` under
``py-spy record`` (sampling, no code change) and returns the share of busy samples
spent inside each function of the face path (inclusive: a function's share contains its
callees'). Only samples taken inside the analysis count (not imports or model loading).
``detector_sweep`` times the detector alone under other settings, next to fer's cascade
settings, with the faces each finds, to show which knobs buy speed and what they cost.
"""

from __future__ import annotations

import asyncio
import collections
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from bench._face import WORK
from emocore.settings import REPO_ROOT
from services.face.detector import HaarFaceDetector

# Frames whose presence marks a sample as part of the timed analysis.
BUSY = ("FaceEmotionModel.", "HaarFaceDetector.", "EmbeddedBackend.infer_sync")
PROJECT = ("services/", "emocore/")
ALWAYS = ("FaceEmotionModel.classify", "FaceEmotionModel.predict")  # shown even when small


def _frame_name(frame: str) -> str:
    """'func (path/file.py:12)' -> 'func (file.py)'."""
    match = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    return f"{match.group(1)} ({Path(match.group(2)).name})"


def hotspots(frames_path: Path, passes: int = 2, top: int = 14) -> list[tuple[float, str]]:
    """Inclusive share of busy samples per face-path function (and C call sites), largest first."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    raw = WORK / "ours.pyspy.txt"
    subprocess.run(
        [py_spy, "record", "--format", "raw", "--rate", "250", "--output", str(raw), "--",
         sys.executable, "-m", "bench._profile", str(frames_path), str(passes)],
        cwd=REPO_ROOT, check=True, capture_output=True,
    )
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
        return []
    shown = [name for name, _ in inclusive.most_common(top)]
    shown += [name for name in inclusive if name.startswith(ALWAYS) and name not in shown]
    return [(inclusive[name] / busy, name) for name in shown]


def detector_sweep(frames: list[np.ndarray], rounds: int = 2) -> list[tuple[str, float, int, int]]:
    """(setting, frames/s, carphone frames with a face, faces in astronaut), interleaved."""
    grays = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    fer = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    settings: dict[str, Callable[[np.ndarray], Sequence[object]]] = {
        "fer's: default cascade, scale 1.1, 5 neighbours, min 50 px": lambda g: list(
            fer.detectMultiScale(g, 1.1, 5, minSize=(50, 50))),
        "ours as served (alt2, min 8% of side, tilt, eyes)": HaarFaceDetector().detect,
        "ours, no tilt pass": HaarFaceDetector(tilt_degrees=0).detect,
        "ours, no eye check": HaarFaceDetector(confirm_eyes=False).detect,
        "ours, min face 15%, no eye check": HaarFaceDetector(min_face=0.15, confirm_eyes=False).detect,
        "ours, min face 30%, no eye check": HaarFaceDetector(min_face=0.30, confirm_eyes=False).detect,
    }
    times: dict[str, list[float]] = collections.defaultdict(list)
    found: dict[str, list[int]] = {}
    for r in range(rounds):
        for name in settings if r % 2 == 0 else reversed(list(settings)):
            began = time.perf_counter()
            boxes = [settings[name](g) for g in grays]
            times[name].append(len(grays) / (time.perf_counter() - began))
            found[name] = [len(b) for b in boxes]
    return [(name, float(np.median(times[name])), sum(1 for n in found[name][:-1] if n),
             found[name][-1]) for name in settings]


def main() -> None:
    """Profile target: our in-process per-frame analysis of the saved frames, PASSES times."""
    from bench.face_vs_fer import our_model, ours

    data = np.load(sys.argv[1])
    frames = [data[k] for k in sorted(data.files)]
    model = our_model()

    async def run() -> None:
        await ours(model, frames[-2:], 2)
        for _ in range(int(sys.argv[2])):
            await ours(model, frames, 1)

    asyncio.run(run())


if __name__ == "__main__":
    main()
