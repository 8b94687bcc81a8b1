"""The ``fer`` package's reference face path, run in its own throwaway venv (``build/bench-fer-venv``).

fer 25.10.3 needs TensorFlow, which must not enter ``.venv``: ``ensure_fer_venv`` creates
the venv on first use, and ``FerWorker`` runs fer there as a subprocess over frames saved
as ``.npz``, timing only ``FER(mtcnn=False).detect_emotions`` per frame. ``fer_crop`` is a
copy of fer's crop, so our model can be run on exactly what fer's model sees;
``agreement`` compares two sides' faces (boxes matched by IoU, then top labels).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench._face import WORK
from emocore.labels import LABELS
from emocore.settings import REPO_ROOT

FER_VENV = REPO_ROOT / "build" / "bench-fer-venv"
# fer itself without its declared dependencies: they would pull opencv-contrib-python (next
# to headless), facenet-pytorch (an unpinned torch) and moviepy, none of which the reference
# path (FER with the Haar cascade, fer/fer.py + fer/utils.py) imports.
FER_PACKAGE = "fer==25.10.3"
FER_DEPS = ["tensorflow-cpu==2.21.0", "opencv-python-headless>=4.10,<5", "requests", "pillow",
            "setuptools<81"]  # fer/fer.py imports pkg_resources
FER_MODES = {"fer tflite (default)": True, "fer keras": False}
MARK = "@@"

WORKER = r'''
import json, sys, time
import cv2, numpy as np
from fer.fer import FER
data = np.load(sys.argv[1])
frames = [cv2.cvtColor(data[k], cv2.COLOR_RGB2BGR) for k in sorted(data.files)]
modes = json.loads(sys.argv[2])
detectors = {name: FER(mtcnn=False, use_tflite=tfl) for name, tfl in modes.items()}
for d in detectors.values():
    d.detect_emotions(frames[-1])
print("@@" + json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    detector = detectors[line.strip()]
    began = time.perf_counter()
    results = [detector.detect_emotions(f) for f in frames]
    seconds = time.perf_counter() - began
    faces = [[{"box": [int(v) for v in f["box"]], "emotions": f["emotions"]} for f in r]
             for r in results]
    print("@@" + json.dumps({"seconds": seconds, "faces": faces}), flush=True)
'''


def ensure_fer_venv() -> Path:
    """``build/bench-fer-venv`` with fer and what its reference path imports; its python."""
    python = FER_VENV / "bin" / "python"
    stamp = FER_VENV / ".installed"
    wanted = " ".join([FER_PACKAGE, *FER_DEPS])
    if stamp.is_file() and stamp.read_text() == wanted:
        return python
    print(f"creating {FER_VENV} ({wanted}); takes a few minutes", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(FER_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, *FER_DEPS], check=True)
    subprocess.run([*pip, "--no-deps", FER_PACKAGE], check=True)
    stamp.write_text(wanted)
    return python


class FerWorker:
    """fer in its own venv; ``run(mode)`` analyses every frame once and returns (seconds, faces)."""

    def __init__(self, python: Path, frames_path: Path) -> None:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
        modes = json.dumps({name: tfl for name, tfl in FER_MODES.items()})
        self.log = open(WORK / "fer-worker.log", "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [str(python), "-c", WORKER, str(frames_path), modes], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=WORK, env=env,
        )
        self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(MARK):
                return dict(json.loads(line[len(MARK):]))
        raise RuntimeError(f"fer worker exited; see {self.log.name}")

    def run(self, mode: str) -> tuple[float, list[Any]]:
        assert self.process.stdin is not None
        self.process.stdin.write(mode + "\n")
        self.process.stdin.flush()
        answer = self._read()
        return answer["seconds"], answer["faces"]

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(30)
        self.log.close()


def from_fer(frames: list[Any]) -> list[Any]:
    """fer's per-frame face dicts in our shape (fer's keys are FER-2013's, in our label order)."""
    return [[{"box": f["box"], "scores": dict(zip(LABELS, f["emotions"].values(), strict=True)),
              "label": LABELS[int(np.argmax(list(f["emotions"].values())))]} for f in frame]
            for frame in frames]


def fer_crop(gray: np.ndarray, box: list[int]) -> np.ndarray:
    """fer's own crop (fer/fer.py detect_emotions: tosquare, 10 px offsets, 40 px grey padding)."""
    x, y, w, h = box
    if h > w:
        x, w = x - (h - w) // 2, h
    elif w > h:
        y, h = y - (w - h) // 2, w
    pad = 40
    padded = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT,
                                value=[cv2.mean(gray[-2:, :])[0]] * 3)
    x1, y1 = max(0, x - 10 + pad), max(0, y - 10 + pad)
    crop = cv2.resize(padded[y1 : y + h + 10 + pad, x1 : x + w + 10 + pad], (64, 64))
    return (crop.astype(np.float32) / 255.0 - 0.5) * 2.0


def iou(a: list[int], b: list[int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0


def agreement(a: list[Any], b: list[Any]) -> dict[str, float]:
    """Detections on each side, IoU>=0.5 matches, top-label agreement and mean L1 on them."""
    matched = agree = 0
    l1 = []
    for mine, theirs in zip(a, b, strict=True):
        for face in mine:
            best = max(theirs, key=lambda t: iou(face["box"], t["box"]), default=None)
            if best is None or iou(face["box"], best["box"]) < 0.5:
                continue
            matched += 1
            agree += face["label"] == best["label"]
            l1.append(sum(abs(face["scores"][k] - best["scores"][k]) for k in LABELS))
    return {
        "a_frames": sum(bool(r) for r in a), "b_frames": sum(bool(r) for r in b),
        "a_faces": sum(map(len, a)), "b_faces": sum(map(len, b)),
        "matched": matched, "agree": agree / matched if matched else float("nan"),
        "l1": statistics.mean(l1) if l1 else float("nan"),
    }
