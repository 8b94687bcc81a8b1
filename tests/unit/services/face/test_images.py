"""``services.face.images.decode_rgb`` on real images, and its effect on the rest of the process."""

from __future__ import annotations

import threading
import warnings

import cv2
import numpy as np

from devtools.media import encode
from devtools.samples import skimage_image
from services.face.images import decode_rgb


def test_colour_and_grey_images_decode_to_rgb() -> None:
    astronaut = cv2.cvtColor(cv2.imread(str(skimage_image("astronaut.png"))), cv2.COLOR_BGR2RGB)
    rgb = decode_rgb(encode(astronaut, "PNG"), filename="a.png", content_type="image/png",
                     max_bytes=1 << 22, max_pixels=1 << 20)
    assert rgb.shape == (512, 512, 3) and np.array_equal(rgb, astronaut)
    grey = decode_rgb(encode(astronaut[:, :, 0]), filename="g.jpg", content_type="image/jpeg",
                      max_bytes=1 << 22, max_pixels=1 << 20)
    assert grey.shape == (512, 512, 3) and np.array_equal(grey[:, :, 0], grey[:, :, 2])


def test_decoding_in_worker_threads_leaves_the_warning_filters_alone() -> None:
    """The service decodes in threads beside other requests; a decoder that swaps the
    process-wide warning filters turns other code's warnings into errors (it once made
    aiohttp's large-body warning fail Triton calls with a 500)."""
    data = encode(np.zeros((64, 64, 3), np.uint8))
    before = list(warnings.filters)
    changed: list[object] = []
    done = threading.Event()

    def decode_many() -> None:
        for _ in range(300):
            decode_rgb(data, filename="f.jpg", content_type="image/jpeg", max_bytes=1 << 20, max_pixels=1 << 20)
        done.set()

    worker = threading.Thread(target=decode_many)
    worker.start()
    while not done.is_set():
        if warnings.filters != before:
            changed.append(warnings.filters[0])
    worker.join()
    assert changed == []
