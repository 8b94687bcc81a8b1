"""Shot thumbnails: which frame a shot gets, its size, the fallback decode, and the job folder's clean-up."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devtools.video import write_video
from gateway import thumbnails
from gateway.decode import SampledFrame
from gateway.shots import Shot

FPS = 25.0
COLOURS = [(220, 30, 30), (30, 200, 40), (40, 60, 230)]  # RGB: one solid colour per shot, 60 frames each


def shot(index: int, length: int = 60) -> Shot:
    start = index * length
    return Shot(index, start, start + length - 1, start / FPS, (start + length) / FPS, "cut", 1.0)


def sample(index: int, rgb: tuple[int, int, int], size: tuple[int, int] = (640, 360)) -> SampledFrame:
    image = np.zeros((size[1], size[0], 3), np.uint8)
    image[:] = rgb[::-1]  # BGR for OpenCV
    ok, jpeg = cv2.imencode(".jpg", image)
    assert ok
    return SampledFrame(index, index / FPS, size[0], size[1], jpeg.tobytes())


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames = np.concatenate([np.full((60, 90, 160, 3), rgb, np.uint8) for rgb in COLOURS])
    return write_video(tmp_path_factory.mktemp("video") / "colours.mp4", frames, FPS)


def mean_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None
    return np.asarray(image.reshape(-1, 3).mean(axis=0)[::-1])


def test_the_sample_nearest_the_middle_inside_the_shot_is_chosen() -> None:
    samples = [sample(i, (0, 0, 0)) for i in range(0, 180, 12)]  # about 2 per second
    chosen = thumbnails.middle_sample(samples, shot(1))
    assert chosen is not None and chosen.index == 84  # the shot spans 60..119, its middle is frame 90
    assert thumbnails.middle_sample(samples[:5], shot(1)) is None  # samples stop at 48: none inside
    assert thumbnails.middle_sample([], shot(0)) is None


def test_a_thumbnail_is_a_small_jpeg_of_the_sampled_frame(tmp_path: Path, video: Path) -> None:
    samples = [sample(30, COLOURS[0]), sample(90, COLOURS[1]), sample(150, COLOURS[2])]
    assert thumbnails.save(tmp_path, video, 1, samples, shot(1))
    path = thumbnails.thumbnail_path(tmp_path, 1)
    image = cv2.imread(str(path))
    assert image.shape[:2] == (90, thumbnails.WIDTH)  # 640x360 -> 160x90
    assert np.abs(mean_rgb(path) - COLOURS[1]).max() < 12
    assert [p.name for p in path.parent.iterdir()] == ["1.jpg"]  # no partial file left behind


def test_a_shot_without_samples_is_decoded_at_its_middle(tmp_path: Path, video: Path) -> None:
    for index in range(3):
        assert thumbnails.save(tmp_path, video, index, [], shot(index))
        assert np.abs(mean_rgb(thumbnails.thumbnail_path(tmp_path, index)) - COLOURS[index]).max() < 12


def test_a_thumbnail_that_cannot_be_made_is_skipped(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    assert thumbnails.save(tmp_path, broken, 0, [], shot(0)) is False
    assert not thumbnails.thumbnail_path(tmp_path, 0).exists()


def test_clean_up_keeps_only_the_thumbnails_of_a_finished_job(tmp_path: Path, video: Path) -> None:
    folder = tmp_path / "job"
    (folder / "scratch").mkdir(parents=True)
    (folder / "video").write_bytes(b"upload")
    (folder / "scratch" / "part.wav").write_bytes(b"audio")
    assert thumbnails.save(folder, video, 0, [], shot(0))
    thumbnails.clear_inputs(folder, keep_thumbnails=True)
    assert [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*"))] == ["thumbnails", "thumbnails/0.jpg"]
    thumbnails.clear_inputs(folder, keep_thumbnails=False)
    assert not folder.exists()
    (folder / "scratch").mkdir(parents=True)  # a job without thumbnails leaves no empty folder
    thumbnails.clear_inputs(folder, keep_thumbnails=True)
    assert not folder.exists()
