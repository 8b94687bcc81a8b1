"""Face detection for the face service: CenterFace (model ``face_detector``) on the inference backend.

The smallest face reported in a frame is ``min_face`` of its shorter side or
``min_face_px``, whichever is larger. Each RGB frame is scaled down (never up) as far
as keeps that face ``face_px`` wide, and so that its longer side is at most
``max_side``; padded at the right and bottom to multiples of 32; and sent to the model
in batches with the other frames of its shape. A face is a heatmap cell over
``threshold``; its box comes from the size and offset predicted there, overlapping
boxes are merged (non-maximum suppression) and faces narrower than the smallest
reported face are dropped. ``docs/face_detection.md`` says how the settings were chosen.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from emocore.inference import InferenceBackend, timed_infer
from services.face.metrics import FaceMetrics

if TYPE_CHECKING:
    from services.face.settings import FaceSettings

Box = tuple[int, int, int, int]  # x, y, width, height in pixels of the input frame

STRIDE = 4  # one heatmap cell per 4x4 input pixels
MULTIPLE = 32  # the network's input sides must be multiples of this
INPUT_NAME = "image"
OUTPUTS = ["heatmap", "scale", "offset"]

# Defaults (FaceSettings uses them; docs/face_detection.md says why).
MAX_SIDE = 480  # longest side of a frame at detection
MIN_FACE = 0.08  # smallest face reported, as a fraction of the frame's shorter side ...
MIN_FACE_PX = 24  # ... or in pixels, whichever is larger
FACE_PX = 16  # width of that smallest face at detection


def smallest_face(shape: tuple[int, ...], min_face: float = MIN_FACE, min_face_px: int = MIN_FACE_PX) -> float:
    """Width in pixels of the smallest face reported in a frame of this [H, W, ...] shape."""
    return max(min_face * min(shape[0], shape[1]), float(min_face_px))


def detection_scale(
    shape: tuple[int, ...], smallest: float, *, face_px: int = FACE_PX, max_side: int = MAX_SIDE
) -> float:
    """How much a frame of this shape is scaled for detection (at most 1)."""
    return min(1.0, face_px / smallest, max_side / max(shape[0], shape[1]))


def prepare(frame: np.ndarray, factor: float) -> np.ndarray:
    """One RGB uint8 [H, W, 3] frame scaled by ``factor`` and padded: the model's uint8 input."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"expected a uint8 [H, W, 3] RGB frame, got {frame.dtype} {frame.shape}")
    rows, cols = frame.shape[:2]
    if factor < 1.0:
        size = (max(1, round(cols * factor)), max(1, round(rows * factor)))
        # Halve with a Gaussian (antialiased) while over twice the size, then bilinear:
        # as clean as INTER_AREA and 5-9x faster on these sizes.
        while frame.shape[1] >= 2 * size[0] and frame.shape[0] >= 2 * size[1]:
            frame = cv2.pyrDown(frame)
        frame = cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)
    rows, cols = frame.shape[:2]
    bottom, right = -rows % MULTIPLE, -cols % MULTIPLE
    return cv2.copyMakeBorder(frame, 0, bottom, 0, right, cv2.BORDER_CONSTANT, value=(0, 0, 0))


@dataclass(frozen=True)
class Framing:
    """How one frame went into the model: its scale factor, its size and the smallest face reported."""

    factor: float
    rows: int
    cols: int
    smallest: float


def decode(
    heatmap: np.ndarray,
    scale: np.ndarray,
    offset: np.ndarray,
    framings: list[Framing],
    *,
    threshold: float,
    nms_iou: float,
) -> list[list[Box]]:
    """Boxes in input-frame pixels, largest first, for each frame of a batch of [N, C, h, w] outputs."""
    found: list[list[Box]] = [[] for _ in framings]
    items, rows, cols = np.nonzero(heatmap[:, 0] > threshold)
    if len(items) == 0:
        return found
    unit = STRIDE / np.array([f.factor for f in framings])[items]  # input pixels per model pixel
    heights = np.exp(scale[items, 0, rows, cols]) * unit
    widths = np.exp(scale[items, 1, rows, cols]) * unit
    centre_y = (rows + offset[items, 0, rows, cols] + 0.5) * unit
    centre_x = (cols + offset[items, 1, rows, cols] + 0.5) * unit
    frame_rows = np.array([f.rows for f in framings])[items]
    frame_cols = np.array([f.cols for f in framings])[items]
    x1 = np.clip(centre_x - widths / 2, 0, frame_cols).round().astype(int)
    y1 = np.clip(centre_y - heights / 2, 0, frame_rows).round().astype(int)
    x2 = np.clip(centre_x + widths / 2, 0, frame_cols).round().astype(int)
    y2 = np.clip(centre_y + heights / 2, 0, frame_rows).round().astype(int)
    boxes = np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
    scores = heatmap[items, 0, rows, cols]
    for item in np.unique(items):
        chosen = np.flatnonzero(items == item)
        if len(chosen) > 1:
            keep = cv2.dnn.NMSBoxes(boxes[chosen].tolist(), scores[chosen].tolist(), threshold, nms_iou)
            chosen = chosen[np.asarray(keep, dtype=np.int64).reshape(-1)]
        smallest = framings[item].smallest
        kept = [(int(x), int(y), int(w), int(h)) for x, y, w, h in boxes[chosen] if w >= smallest and h > 0]
        found[item] = sorted(kept, key=lambda b: b[2] * b[3], reverse=True)
    return found


class FaceDetector:
    """Finds faces in RGB frames with the ``face_detector`` model of the configured backend."""

    def __init__(
        self,
        backend: InferenceBackend,
        metrics: FaceMetrics,
        *,
        model_name: str = "face_detector",
        batch_size: int = 16,
        max_side: int = MAX_SIDE,
        threshold: float = 0.5,
        nms_iou: float = 0.3,
        min_face: float = MIN_FACE,
        min_face_px: int = MIN_FACE_PX,
        face_px: int = FACE_PX,
    ) -> None:
        self.backend = backend
        self.metrics = metrics
        self.model_name = model_name
        self.batch_size = batch_size
        self.max_side = max_side
        self.threshold = threshold
        self.nms_iou = nms_iou
        self.min_face = min_face
        self.min_face_px = min_face_px
        self.face_px = face_px

    @classmethod
    def from_settings(
        cls, backend: InferenceBackend, metrics: FaceMetrics, settings: FaceSettings, **changes: Any
    ) -> FaceDetector:
        """The detector as the face service's settings configure it, with ``changes`` applied."""
        configured: dict[str, Any] = {
            "model_name": settings.detector_model_name,
            "batch_size": settings.detector_batch_size,
            "max_side": settings.detector_max_side,
            "threshold": settings.detector_threshold,
            "min_face": settings.min_face,
            "min_face_px": settings.min_face_px,
            "face_px": settings.detector_face_px,
        }
        return cls(backend, metrics, **(configured | changes))

    def prepare_frame(self, frame: np.ndarray) -> tuple[np.ndarray, Framing]:
        """The model input for one frame and how it was made."""
        smallest = smallest_face(frame.shape, self.min_face, self.min_face_px)
        factor = detection_scale(frame.shape, smallest, face_px=self.face_px, max_side=self.max_side)
        return prepare(frame, factor), Framing(factor, frame.shape[0], frame.shape[1], smallest)


    async def detect(self, frames: list[np.ndarray]) -> list[list[Box]]:
        """Faces in each RGB uint8 [H, W, 3] frame, largest first."""
        prepared = await asyncio.to_thread(lambda: [self.prepare_frame(frame) for frame in frames])
        by_shape: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for index, (tensor, _) in enumerate(prepared):
            by_shape[tensor.shape].append(index)
        found: list[list[Box]] = [[] for _ in frames]
        for indices in by_shape.values():
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start : start + self.batch_size]
                batch = np.stack([prepared[i][0] for i in chunk])
                result = await timed_infer(self.backend, self.metrics, self.model_name, {INPUT_NAME: batch}, OUTPUTS)
                boxes = decode(
                    result["heatmap"],
                    result["scale"],
                    result["offset"],
                    [prepared[i][1] for i in chunk],
                    threshold=self.threshold,
                    nms_iou=self.nms_iou,
                )
                for index, frame_boxes in zip(chunk, boxes, strict=True):
                    found[index] = frame_boxes
        return found
