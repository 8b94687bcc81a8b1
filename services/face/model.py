"""Face emotion pipeline: detect faces -> crop -> mini-Xception in batches -> per-face scores.

No web imports here. Both models run on the configured backend. Pre-processing
follows the ``fer`` package's reference implementation of the same model: the face
box is made square, widened by a margin, cut from the grayscale frame (outside the
frame: the mean grey of its bottom rows), resized to 64x64 and scaled to [-1, 1].
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import cv2
import numpy as np

from emocore.inference import InferenceBackend, timed_infer
from emocore.labels import scores_dict, top_label
from services.face.detector import Box, FaceDetector
from services.face.metrics import FaceMetrics
from services.face.settings import FaceSettings

INPUT_SIZE = 64
INPUT_NAME = "image"
OUTPUT_NAME = "probs"


@dataclass(frozen=True)
class Face:
    box: Box
    primary: bool
    label: str
    scores: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        return {
            "box": list(self.box),
            "primary": self.primary,
            "label": self.label,
            "scores": self.scores,
        }


def crop_face(gray: np.ndarray, box: Box, margin: float) -> np.ndarray:
    """Square, widened crop of a face resized to the model input, as float32 in [-1, 1]."""
    x, y, w, h = box
    side = max(w, h)
    cx, cy = x + w / 2.0, y + h / 2.0
    half = side * (1.0 + 2.0 * margin) / 2.0
    x1, y1 = round(cx - half), round(cy - half)
    x2, y2 = round(cx + half), round(cy + half)
    fill = float(gray[-2:, :].mean())
    rows, cols = gray.shape
    pad = max(0, -x1, -y1, x2 - cols, y2 - rows)
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=fill)
    crop = gray[y1 + pad : y2 + pad, x1 + pad : x2 + pad]
    resized = cv2.resize(crop, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_LINEAR)
    return (resized.astype(np.float32) / 255.0 - 0.5) * 2.0


def primary_index(boxes: list[Box]) -> int:
    """The largest face (by area) is the primary one."""
    return max(range(len(boxes)), key=lambda i: boxes[i][2] * boxes[i][3])


class FaceEmotionModel:
    """Detects faces in RGB frames and classifies the emotion of each."""

    def __init__(
        self,
        backend: InferenceBackend,
        detector: FaceDetector,
        metrics: FaceMetrics,
        *,
        model_name: str = "face_emotion",
        batch_size: int = 64,
        margin: float = 0.0,
    ) -> None:
        self.backend = backend
        self.detector = detector
        self.metrics = metrics
        self.model_name = model_name
        self.batch_size = batch_size
        self.margin = margin

    @classmethod
    def from_settings(
        cls, backend: InferenceBackend, metrics: FaceMetrics, settings: FaceSettings
    ) -> FaceEmotionModel:
        """Detector and classifier as the face service's settings configure them."""
        return cls(
            backend,
            FaceDetector.from_settings(backend, metrics, settings),
            metrics,
            model_name=settings.model_name,
            batch_size=settings.batch_size,
            margin=settings.crop_margin,
        )

    def crops(self, frames: list[np.ndarray], boxes: list[list[Box]]) -> np.ndarray:
        """[N, 1, 64, 64] model inputs for every box of every RGB frame, in order."""
        crops: list[np.ndarray] = []
        for frame, frame_boxes in zip(frames, boxes, strict=True):
            if frame_boxes:
                gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
                crops.extend(crop_face(gray, box, self.margin) for box in frame_boxes)
        if not crops:
            return np.zeros((0, 1, INPUT_SIZE, INPUT_SIZE), np.float32)
        return np.stack(crops)[:, None, :, :]

    async def classify(self, crops: np.ndarray) -> np.ndarray:
        """[N, 1, 64, 64] crops -> [N, 7] probabilities, in batches of batch_size."""
        outputs = []
        for start in range(0, len(crops), self.batch_size):
            chunk = np.ascontiguousarray(crops[start : start + self.batch_size])
            result = await timed_infer(self.backend, self.metrics, self.model_name, {INPUT_NAME: chunk}, [OUTPUT_NAME])
            outputs.append(result[OUTPUT_NAME].reshape(len(chunk), -1))
        return np.concatenate(outputs) if outputs else np.zeros((0, 7), np.float32)

    async def predict(self, frames: list[np.ndarray]) -> list[list[Face]]:
        """Faces with emotion scores for each RGB uint8 [H, W, 3] frame, in order."""
        boxes = await self.detector.detect(frames)
        crops = await asyncio.to_thread(self.crops, frames, boxes)
        probs = await self.classify(crops)
        results: list[list[Face]] = []
        cursor = 0
        for frame_boxes in boxes:
            main = primary_index(frame_boxes) if frame_boxes else -1
            faces = []
            for i, box in enumerate(frame_boxes):
                p = probs[cursor]
                cursor += 1
                faces.append(Face(box, i == main, top_label(p), scores_dict(p)))
            results.append(faces)
            self.metrics.faces_per_frame.observe(len(faces))
        self.metrics.count_items("frames", len(frames))
        self.metrics.count_items("faces", cursor)
        return results
