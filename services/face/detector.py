"""Face detection for the face service: a detector interface and OpenCV Haar cascades.

``HaarFaceDetector`` is configuration U of ``docs/face_detection.md``, chosen on
real images and clips: the ``frontalface_alt2`` cascade (scaleFactor 1.2) on the frame scaled down to
at most 640 px, faces at least 8% of the shorter side, a second try on the frame
tilted by +-20 degrees (at most 320 px) when the upright pass finds nothing (heads
tilt; frontal cascades do not), and every candidate confirmed by an eye found in its upper part
(``eye_tree_eyeglasses``), which removes the posters, logos and textures that
frontal cascades take for faces.
"""

from __future__ import annotations

import threading
from typing import Protocol

import cv2
import cv2.data
import numpy as np

Box = tuple[int, int, int, int]  # x, y, width, height in pixels of the input frame

FACE_CASCADE = "haarcascade_frontalface_alt2.xml"
EYE_CASCADE = "haarcascade_eye_tree_eyeglasses.xml"
EYE_ROI_SIDE = 120  # a face is resized to this side before looking for eyes
EYE_ROI_TOP = 0.6  # eyes are searched in this upper fraction of the face box


class FaceDetector(Protocol):
    def detect(self, gray: np.ndarray) -> list[Box]:
        """Faces in a uint8 grayscale [H, W] frame, largest first."""
        ...


def _load(name: str) -> cv2.CascadeClassifier:
    classifier = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    if classifier.empty():
        raise RuntimeError(f"cannot load OpenCV cascade {name} from {cv2.data.haarcascades}")
    return classifier


class HaarFaceDetector:
    """Frontal faces with OpenCV Haar cascades; safe to call from several threads."""

    def __init__(
        self,
        *,
        max_side: int = 640,
        min_face: float = 0.08,
        scale_factor: float = 1.2,
        min_neighbors: int = 5,
        tilt_degrees: float = 20.0,
        tilt_max_side: int = 320,
        confirm_eyes: bool = True,
    ) -> None:
        self.max_side = max_side
        self.min_face = min_face
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.tilt_degrees = tilt_degrees
        self.tilt_max_side = tilt_max_side
        self.confirm_eyes = confirm_eyes
        self._local = threading.local()  # CascadeClassifier is not thread-safe
        self._cascade(FACE_CASCADE)  # fail at start-up, not on the first frame
        self._cascade(EYE_CASCADE)

    def _cascade(self, name: str) -> cv2.CascadeClassifier:
        cache: dict[str, cv2.CascadeClassifier] | None = getattr(self._local, "cache", None)
        if cache is None:
            cache = self._local.cache = {}
        if name not in cache:
            cache[name] = _load(name)
        return cache[name]

    def _has_eye(self, gray: np.ndarray, box: Box) -> bool:
        x, y, w, h = box
        face = cv2.resize(gray[y : y + h, x : x + w], (EYE_ROI_SIDE, EYE_ROI_SIDE))
        upper = face[: int(EYE_ROI_SIDE * EYE_ROI_TOP)]
        eyes = self._cascade(EYE_CASCADE).detectMultiScale(
            upper, scaleFactor=1.1, minNeighbors=3, minSize=(16, 16), maxSize=(48, 48)
        )
        return len(eyes) > 0

    def _pass(self, gray: np.ndarray) -> list[Box]:
        side = max(20, int(self.min_face * min(gray.shape)))
        found = self._cascade(FACE_CASCADE).detectMultiScale(
            gray,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(side, side),
        )
        boxes: list[Box] = [(int(x), int(y), int(w), int(h)) for x, y, w, h in found]
        if self.confirm_eyes:
            boxes = [box for box in boxes if self._has_eye(gray, box)]
        return boxes

    def _tilted(self, gray: np.ndarray) -> list[tuple[float, float, int, int]]:
        """Faces found on the frame rotated by +-tilt, as centres in the upright frame."""
        rows, cols = gray.shape
        for angle in (self.tilt_degrees, -self.tilt_degrees):
            matrix = cv2.getRotationMatrix2D((cols / 2, rows / 2), angle, 1.0)
            rotated = cv2.warpAffine(gray, matrix, (cols, rows), borderMode=cv2.BORDER_REPLICATE)
            boxes = self._pass(rotated)
            if boxes:
                inverse = cv2.invertAffineTransform(matrix)
                centres = [inverse @ np.array([x + w / 2, y + h / 2, 1.0]) for x, y, w, h in boxes]
                return [(cx, cy, w, h) for (cx, cy), (_, _, w, h) in zip(centres, boxes, strict=True)]
        return []

    def _tilted_at_most(self, gray: np.ndarray, max_side: int) -> list[tuple[float, float, int, int]]:
        """The tilted retry on a smaller copy (it is a fallback: two more passes)."""
        rows, cols = gray.shape
        factor = min(1.0, max_side / max(rows, cols))
        if factor == 1.0:
            return self._tilted(gray)
        size = (max(1, round(cols * factor)), max(1, round(rows * factor)))
        found = self._tilted(cv2.resize(gray, size, interpolation=cv2.INTER_AREA))
        return [(cx / factor, cy / factor, round(w / factor), round(h / factor)) for cx, cy, w, h in found]

    def detect(self, gray: np.ndarray) -> list[Box]:
        if gray.ndim != 2 or gray.dtype != np.uint8:
            raise ValueError(f"expected a uint8 [H, W] frame, got {gray.dtype} {gray.shape}")
        rows, cols = gray.shape
        scale = min(1.0, self.max_side / max(rows, cols))
        small = gray
        if scale < 1.0:
            size = (max(1, round(cols * scale)), max(1, round(rows * scale)))
            small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        found = [(x + w / 2, y + h / 2, w, h) for x, y, w, h in self._pass(small)]
        if not found and self.tilt_degrees:
            found = self._tilted_at_most(small, self.tilt_max_side)
        boxes = []
        for cx, cy, w, h in found:
            x1 = max(0, round((cx - w / 2) / scale))
            y1 = max(0, round((cy - h / 2) / scale))
            x2 = min(cols, round((cx + w / 2) / scale))
            y2 = min(rows, round((cy + h / 2) / scale))
            if x2 > x1 and y2 > y1:
                boxes.append((x1, y1, x2 - x1, y2 - y1))
        return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)
