"""The face detector's INT8 calibration media are none of the media it is tested or benchmarked on.

Calibrating a quantized model on the images that then measure it would flatter the
measurement (the activation ranges are fitted to exactly those frames). Every media
file name that the tests, the benchmarks and the demo sample mention is collected
from their source; the calibration list must not share one.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from devtools.samples import skimage_image
from models import face_detector

REPO = Path(__file__).resolve().parents[3]
MEDIA_NAME = re.compile(r"[\w.-]+\.(?:png|jpe?g|gif|bmp|tiff?|npy|npz|mp4|avi|mkv|mov|webm)\b", re.IGNORECASE)
# Where test, benchmark and demo media are named (devtools/ holds the sample builders after the restructure).
USERS = ("tests", "bench", "demo", "devtools", "emocore")


def media_named_in(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Media file name -> the source files that mention it."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((REPO / folder).rglob("*.py")):
            if path.resolve() == Path(__file__).resolve():
                continue
            for name in MEDIA_NAME.findall(path.read_text(encoding="utf-8")):
                found.setdefault(name.lower(), set()).add(str(path.relative_to(REPO)))
    return found


def test_the_scan_sees_the_media_the_tests_and_benchmarks_use() -> None:
    used = media_named_in(USERS)
    # Known users: the detector's unit test, the detection benchmark, the sample video.
    for name in ("astronaut.png", "camera.png", "bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"):
        assert name in used, f"{name} should be found in the tests/benchmarks"


def test_calibration_media_are_used_by_no_test_benchmark_or_demo() -> None:
    used = media_named_in(USERS)
    calibration = [name for name, _, _ in face_detector.CALIBRATION]
    overlap = {name: sorted(used[name.lower()]) for name in calibration if name.lower() in used}
    assert not overlap, f"calibration media also used for measurement: {overlap}"


@pytest.mark.parametrize(("name", "sha256", "zoom"), face_detector.CALIBRATION)
def test_calibration_media_are_the_pinned_files(name: str, sha256: str, zoom: int) -> None:
    path = skimage_image(name)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    assert zoom >= 1
