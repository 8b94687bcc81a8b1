"""Real video files made for tests and benchmarks: composed clips with known transitions, broken files.

Pieces of real footage (the sample clips that registry packages ship, see
``devtools.samples``) are read here; ``devtools.transitions`` joins them and records
where every transition lands, so detectors can be scored frame-exactly.
Writers use PyAV (libx264 + AAC), so the files go through the same decoder as
uploads do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np


@dataclass(frozen=True)
class Transition:
    """A transition in a composed clip: frames ``first..last`` (a cut: first == last, the new shot's first frame)."""

    kind: str  # "cut" or "gradual"
    first: int
    last: int


def read_frames(path: Path, start: int, count: int, size: tuple[int, int]) -> np.ndarray:
    """``count`` RGB frames from frame ``start`` on, centre-cropped to the aspect of ``size`` and resized."""
    return read_ranges(path, [(start, count)], size)[0]


def read_ranges(path: Path, ranges: Sequence[tuple[int, int]], size: tuple[int, int]) -> list[np.ndarray]:
    """Several ``(start, count)`` pieces of one video in a single decode (see ``read_frames``)."""
    width, height = size
    wanted: dict[int, list[int]] = {}
    for number, (start, count) in enumerate(ranges):
        for index in range(start, start + count):
            wanted.setdefault(index, []).append(number)
    pieces: list[list[np.ndarray]] = [[] for _ in ranges]
    last = max(wanted, default=-1)
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index > last:
                break
            if index not in wanted:
                continue
            image = frame.to_ndarray(format="rgb24")
            h, w = image.shape[:2]
            crop_w, crop_h = min(w, round(h * width / height)), min(h, round(w * height / width))
            x, y = (w - crop_w) // 2, (h - crop_h) // 2
            small = cv2.resize(image[y : y + crop_h, x : x + crop_w], (width, height), interpolation=cv2.INTER_AREA)
            for number in wanted[index]:
                pieces[number].append(small)
    if any(len(p) != count for p, (_, count) in zip(pieces, ranges, strict=True)):
        raise ValueError(f"{path} is shorter than the requested ranges")
    return [np.stack(p) for p in pieces]


def dissolve(outgoing: np.ndarray, incoming: np.ndarray) -> np.ndarray:
    """Linear cross-fade of two equal-length clips; no frame equals either input."""
    length = len(outgoing)
    alpha = (np.arange(1, length + 1, dtype=np.float32) / (length + 1)).reshape(-1, 1, 1, 1)
    mixed = (1.0 - alpha) * outgoing.astype(np.float32) + alpha * incoming.astype(np.float32)
    return np.rint(mixed).astype(np.uint8)


def write_video(
    path: Path,
    frames: np.ndarray,
    fps: float = 25.0,
    *,
    times: Sequence[float] | None = None,
    audio: np.ndarray | None = None,
    audio_rate: int = 16000,
    crf: int = 18,
    faststart: bool = False,
) -> Path:
    """H.264 MP4 of RGB frames; ``times`` (seconds) gives variable-frame-rate timestamps.

    ``audio`` (float32 mono) adds an AAC track; ``faststart`` puts the index first (so a
    truncated copy still opens). Frame sizes must be even.
    """
    time_base = Fraction(1, 1000) if times is not None else Fraction(1, round(fps))
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), mode="w", options=options) as container:
        stream = container.add_stream("libx264", rate=round(fps))
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        if times is not None:
            stream.codec_context.options = {"bf": "0"}
        audio_stream = container.add_stream("aac", rate=audio_rate) if audio is not None else None
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = round(times[index] / time_base) if times is not None else index
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if audio_stream is not None and audio is not None:
            _write_audio(container, audio_stream, audio, audio_rate)
    return path


def _write_audio(container: av.container.OutputContainer, stream: av.AudioStream, audio: np.ndarray, rate: int) -> None:
    chunk = 1024
    for start in range(0, len(audio), chunk):
        piece = np.ascontiguousarray(audio[start : start + chunk], dtype=np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(piece, format="flt", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def write_audio_only(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    """An M4A (AAC in MP4) with a tone and no video stream."""
    tone = 0.2 * np.sin(2 * np.pi * 440.0 * np.arange(int(seconds * rate)) / rate)
    with av.open(str(path), mode="w", format="mp4") as container:
        _write_audio(container, container.add_stream("aac", rate=rate), tone.astype(np.float32), rate)
    return path


def truncate(source: Path, target: Path, fraction: float) -> Path:
    """The first ``fraction`` of a file's bytes, as an upload cut short would leave it."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target
