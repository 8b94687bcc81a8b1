"""Open and probe an uploaded video with PyAV: clear errors for bad files, facts for the job.

``probe(path) -> VideoInfo`` checks that a file is a decodable video (it decodes
the first frame) and raises ``InvalidInput`` / ``UnsupportedMediaType`` with a
message a caller can act on: empty, corrupt or truncated, audio-only, a still
image, not a media file at all. ``check_length`` refuses (``PayloadTooLarge``) a
video over the length limit: a container's declared duration is trusted for the
decision at upload, and a stream that declares none (a raw H.264/HEVC elementary
stream) has its frames counted by demuxing, without decoding, up to the limit,
so the check costs at most the limit's worth of packets. What is actually
decoded is capped again while a job runs (``gateway.decode``).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import av
import av.error

from emocore.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from gateway.deinterlace import is_interlaced

MAX_PIXELS = 8192 * 4320  # DCI 8K; a larger declared frame is refused before decoding
DEFAULT_FPS = 25.0  # frame rate assumed for a stream that declares none
# Leading bytes of containers we know, to tell "corrupt video" from "not a video".
_TEXT_FORMATS = {"tty", "bin", "idf", "adf", "xbin"}  # FFmpeg renders these text files as "video"
_SIGNATURES = (
    (4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"), (0, b"RIFF"), (0, b"OggS"), (0, b"FLV"), (0, b"\x47"),
    (0, b"\x06\x0e\x2b\x34"),  # MXF (SMPTE universal label)
)


@dataclass(frozen=True)
class VideoInfo:
    fps: float  # average frame rate (frame count / duration for variable-rate files)
    frame_count: int
    duration_s: float
    width: int
    height: int
    has_audio: bool
    declared: bool = True  # False: the container declares no duration (a raw elementary stream)
    interlaced: bool = False  # interlaced frames (field order), deinterlaced before sampling

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoInfo:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


def _reason(exc: BaseException) -> str:
    """FFmpeg's reason without the file path it names (clients never see server paths)."""
    return str(getattr(exc, "strerror", None) or type(exc).__name__)


def open_video(path: Path) -> av.container.InputContainer:
    if os.path.getsize(path) == 0:
        raise InvalidInput("the video file is empty (0 bytes)")
    try:
        return av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        with open(path, "rb") as handle:
            head = handle.read(16)
        if any(head[at : at + len(sig)] == sig for at, sig in _SIGNATURES):
            raise InvalidInput(f"the video file is corrupt or truncated ({_reason(exc)})") from exc
        raise UnsupportedMediaType(f"not a video format that can be read ({_reason(exc)})") from exc


def video_stream(container: av.container.InputContainer) -> av.VideoStream:
    if not container.streams.video:
        kinds: list[str] = sorted({str(s.type) for s in container.streams}) or ["no streams"]
        detail = "audio only" if kinds == ["audio"] else ", ".join(kinds)
        raise UnsupportedMediaType(f"the file has no video stream ({detail})")
    fmt = container.format.name
    if fmt.endswith("_pipe") or fmt == "image2":
        raise UnsupportedMediaType(f"a still image ({fmt}), not a video")
    if fmt in _TEXT_FORMATS:
        raise UnsupportedMediaType(f"a text file ({fmt}), not a video")
    stream = container.streams.video[0]
    if stream.codec_context is None:  # FFmpeg does not know the codec, or has no decoder for it
        raise UnsupportedMediaType(
            f"the video stream's codec cannot be decoded (FFmpeg has no decoder for it; {fmt} container)"
        )
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > MAX_PIXELS:
        raise PayloadTooLarge(f"the video declares {width}x{height} frames, over the {MAX_PIXELS}-pixel (8K) limit")
    stream.thread_type = "AUTO"
    return stream


def probe(path: str | Path) -> VideoInfo:
    """Container-level facts of a video, after checking its first frame decodes."""
    with open_video(Path(path)) as container:
        stream = video_stream(container)
        try:
            first = next(container.decode(stream), None)
        except av.error.FFmpegError as exc:
            raise InvalidInput(f"the video stream cannot be decoded ({_reason(exc)})") from exc
        if first is None:
            raise InvalidInput("the video stream has no decodable frame (corrupt or truncated)")
        rate = float(stream.average_rate or stream.guessed_rate or 0.0)
        declared = bool(stream.duration and stream.time_base) or _container_duration(container)
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = (container.duration or 0) / av.time_base
        frames = stream.frames or round(duration * rate)
        if not rate and duration > 0:
            rate = frames / duration
        return VideoInfo(
            fps=rate or DEFAULT_FPS,
            frame_count=int(frames),
            duration_s=duration,
            width=first.width,
            height=first.height,
            has_audio=bool(container.streams.audio),
            declared=declared,
            interlaced=is_interlaced(stream, first),
        )


def _container_duration(container: av.container.InputContainer) -> bool:
    """Whether the container states a duration (raw elementary streams only get a bit-rate guess)."""
    flags = container.format.flags
    raw = "NOTIMESTAMPS" in str(flags) or container.format.name in ("h264", "hevc", "mpegvideo", "m4v", "rawvideo")
    return bool(container.duration) and not raw


def count_seconds(path: str | Path, fps: float, limit_s: float) -> float:
    """Seconds of video in a stream, counted by demuxing (no decoding), stopping past ``limit_s``."""
    limit = int(limit_s * fps) + 1
    packets = 0
    with open_video(Path(path)) as container:
        stream = video_stream(container)
        try:
            for packet in container.demux(stream):
                if packet.size:
                    packets += 1
                    if packets > limit:
                        break
        except av.error.FFmpegError:
            pass  # a broken tail: what was counted stands
    return packets / fps


def check_length(path: str | Path, info: VideoInfo, max_seconds: float) -> None:
    """Refuse a video over ``max_seconds``: by its declared duration, else by counting its frames."""
    if info.duration_s > max_seconds:
        raise PayloadTooLarge(f"the video lasts {info.duration_s:.0f} s, over the {max_seconds:.0f}-s limit")
    if not info.declared:
        counted = count_seconds(path, info.fps, max_seconds)
        if counted > max_seconds:
            raise PayloadTooLarge(
                f"the video stream declares no duration and holds over {max_seconds:.0f} s of frames "
                f"(counted at {info.fps:g} fps), over the {max_seconds:.0f}-s limit"
            )
