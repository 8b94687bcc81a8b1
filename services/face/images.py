"""Validate and decode uploaded frames (JPEG/PNG) into RGB arrays, safely.

Every check happens before the expensive step it guards: the content type and
magic bytes before parsing, the declared pixel count before decoding (so a
decompression bomb is rejected from its header), and a full decode that fails
loudly on truncated data instead of returning a half-grey image. The frames of one
request together are held to a pixel budget, read from their headers before any of
them is decoded (256 frames of 40 Mpx would need about 30 GB).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from emocore.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

ACCEPTED_TYPES = {"image/jpeg": "JPEG", "image/jpg": "JPEG", "image/png": "PNG"}
MAGIC = {"JPEG": (b"\xff\xd8\xff",), "PNG": (b"\x89PNG\r\n\x1a\n",)}

Image.MAX_IMAGE_PIXELS = None  # we enforce our own limit, with a clear error


def sniff_format(data: bytes) -> str | None:
    """'JPEG' or 'PNG' from the magic bytes, else None."""
    for fmt, prefixes in MAGIC.items():
        if any(data.startswith(p) for p in prefixes):
            return fmt
    return None


def open_frame(
    data: bytes,
    *,
    filename: str,
    content_type: str | None,
    max_bytes: int,
    max_pixels: int,
) -> Image.Image:
    """Check one uploaded frame and read its header (nothing decoded yet) or raise InvalidInput."""
    name = filename or "file"
    if not data:
        raise InvalidInput(f"{name}: empty file (0 bytes)", code="empty_file")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"{name}: {len(data)} bytes is over the {max_bytes}-byte limit")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in ACCEPTED_TYPES:
        raise UnsupportedMediaType(
            f"{name}: content type {declared or 'missing'!r} is not accepted; send image/jpeg or image/png"
        )
    actual = sniff_format(data)
    if actual is None:
        raise InvalidInput(f"{name}: not a JPEG or PNG image", code="not_an_image")
    try:
        image = Image.open(io.BytesIO(data), formats=[actual])
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError...
        raise InvalidInput(f"{name}: cannot decode image: {exc}", code="corrupt_image") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise PayloadTooLarge(f"{name}: {width}x{height} is {width * height} pixels, over the {max_pixels}-pixel limit")
    return image


def check_pixel_budget(images: list[Image.Image], max_pixels: int) -> None:
    """PayloadTooLarge when the frames of one request would decode to over ``max_pixels``."""
    total = sum(image.width * image.height for image in images)
    if total > max_pixels:
        raise PayloadTooLarge(
            f"the {len(images)} frames hold {total} pixels, over the {max_pixels}-pixel limit per "
            "request; send fewer or smaller frames"
        )


def to_rgb(image: Image.Image, *, filename: str) -> np.ndarray:
    """Decode an opened frame to a uint8 [H, W, 3] RGB array or raise InvalidInput."""
    # No warnings.catch_warnings() here: it swaps the process-wide filters, and this runs
    # in worker threads beside other requests. PIL raises on truncated or corrupt pixel data.
    try:
        image.load()
        rgb = image.convert("RGB")
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError...
        raise InvalidInput(f"{filename or 'file'}: cannot decode image: {exc}", code="corrupt_image") from exc
    return np.asarray(rgb, dtype=np.uint8)


def decode_rgb(
    data: bytes,
    *,
    filename: str,
    content_type: str | None,
    max_bytes: int,
    max_pixels: int,
) -> np.ndarray:
    """Decode one uploaded frame to a uint8 [H, W, 3] RGB array or raise InvalidInput."""
    image = open_frame(data, filename=filename, content_type=content_type, max_bytes=max_bytes, max_pixels=max_pixels)
    return to_rgb(image, filename=filename)
