"""Generators of real and deliberately broken media for tests (nothing committed)."""

from __future__ import annotations

import io
import struct
import zlib

import av
import numpy as np
from PIL import Image


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid grayscale PNG of width x height black pixels: tiny on disk, huge decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + one byte per pixel
    compressed = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", compressed)
        + chunk(b"IEND", b"")
    )


def encode(image: np.ndarray, fmt: str = "JPEG", quality: int = 90) -> bytes:
    """RGB or grayscale uint8 array -> JPEG/PNG bytes."""
    buffer = io.BytesIO()
    options = {"quality": quality} if fmt == "JPEG" else {}
    Image.fromarray(image).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def video_frames(path: str, limit: int | None = None) -> list[np.ndarray]:
    """Decode a video file into RGB frames."""
    frames = []
    with av.open(path) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if limit is not None and len(frames) >= limit:
                break
    return frames


def raw_h264(frames: int, copies: int = 1) -> bytes:
    """A raw H.264 elementary stream (no container: no declared duration) of 64x48 frames at 25 fps.

    ``copies`` repeats the encoded stream (each copy starts with a key frame), a cheap way
    to a very long stream.
    """
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="h264") as container:
        stream = container.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), index * 9 % 256, np.uint8), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue() * copies
