"""Probe and single-pass decoding of an uploaded video with PyAV.

``probe(path) -> VideoInfo`` checks that a file is a decodable video (it decodes
the first frame) and raises ``InvalidInput`` / ``UnsupportedMediaType`` with a
message a caller can act on: empty, corrupt or truncated, audio-only, a still
image, not a media file at all.

``decode_video(path) -> DecodedVideo`` demuxes the file once and produces, from
that single pass:
- ``small_frames``: every frame as 48x27 RGB uint8 ``[N, 27, 48, 3]`` for shot
  detection (about 3.9 kB per frame: one hour at 25 fps is ~350 MB);
- ``timestamps``: each frame's presentation time in seconds from the first frame.
  Frame index = decode (output) order, so variable-frame-rate files get exact
  times while indices stay dense;
- ``samples``: frames at ``sample_fps`` (default 2 per second; 0 = none) downscaled so the
  longer side is at most ``max_side`` (default 640) and JPEG-encoded, each with
  its frame index and time, for face analysis;
- ``audio``: the first audio track resampled to 16 kHz mono float32, aligned so
  sample 0 is the time of frame 0 (None when the file has no audio);
- ``info``: fps, frame count, duration, size, measured on what was decoded.
A file that breaks off mid-stream (truncated upload) yields the frames decoded
up to the break with ``complete=False``; no decodable frame at all is an error.

Scaling: ``frame.reformat`` (libswscale) straight from YUV to 48x27 RGB with AREA
interpolation is ~4x cheaper than converting the full frame to RGB and
``cv2.resize``-ing it (bench/reports/shots.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from emocore.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

SMALL_WIDTH, SMALL_HEIGHT = 48, 27
AUDIO_RATE = 16000
MAX_PIXELS = 8192 * 4320  # DCI 8K; a larger declared frame is refused before decoding
# Leading bytes of containers we know, to tell "corrupt video" from "not a video".
_TEXT_FORMATS = {"tty", "bin", "idf", "adf", "xbin"}  # FFmpeg renders these text files as "video"
_SIGNATURES = ((4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"), (0, b"RIFF"), (0, b"OggS"), (0, b"FLV"), (0, b"\x47"))


@dataclass(frozen=True)
class VideoInfo:
    fps: float  # average frame rate (frame count / duration for variable-rate files)
    frame_count: int
    duration_s: float
    width: int
    height: int
    has_audio: bool


@dataclass(frozen=True)
class SampledFrame:
    index: int  # frame index in decode order
    time_s: float
    width: int
    height: int
    jpeg: bytes


@dataclass(frozen=True)
class DecodedVideo:
    info: VideoInfo
    small_frames: np.ndarray  # [N, 27, 48, 3] uint8 RGB
    timestamps: np.ndarray  # [N] float64 seconds from the first frame
    samples: list[SampledFrame]
    audio: np.ndarray | None  # float32 mono at AUDIO_RATE
    complete: bool  # False when the stream broke off before its declared end


def _reason(exc: BaseException) -> str:
    """FFmpeg's reason without the file path it names (clients never see server paths)."""
    return str(getattr(exc, "strerror", None) or type(exc).__name__)


def _open(path: Path) -> av.container.InputContainer:
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


def _video_stream(container: av.container.InputContainer) -> av.VideoStream:
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
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > MAX_PIXELS:
        raise PayloadTooLarge(f"the video declares {width}x{height} frames, over the {MAX_PIXELS}-pixel (8K) limit")
    stream.thread_type = "AUTO"
    return stream


def probe(path: str | Path) -> VideoInfo:
    """Container-level facts of a video, after checking its first frame decodes."""
    with _open(Path(path)) as container:
        stream = _video_stream(container)
        try:
            first = next(container.decode(stream), None)
        except av.error.FFmpegError as exc:
            raise InvalidInput(f"the video stream cannot be decoded ({_reason(exc)})") from exc
        if first is None:
            raise InvalidInput("the video stream has no decodable frame (corrupt or truncated)")
        rate = float(stream.average_rate or stream.guessed_rate or 0.0)
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = (container.duration or 0) / av.time_base
        frames = stream.frames or round(duration * rate)
        if not rate and duration > 0:
            rate = frames / duration
        return VideoInfo(
            fps=rate,
            frame_count=int(frames),
            duration_s=duration,
            width=first.width,
            height=first.height,
            has_audio=bool(container.streams.audio),
        )


def _sample_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2)


def decode_video(
    path: str | Path,
    *,
    sample_fps: float = 2.0,
    max_side: int = 640,
    jpeg_quality: int = 90,
    with_audio: bool = True,
) -> DecodedVideo:
    """Decode the file once into small frames, JPEG samples, 16 kHz audio and info."""
    with _open(Path(path)) as container:
        stream = _video_stream(container)
        audio_stream = container.streams.audio[0] if with_audio and container.streams.audio else None
        declared = stream.frames
        small: list[np.ndarray] = []
        times: list[float] = []
        samples: list[SampledFrame] = []
        chunks: list[np.ndarray] = []
        audio_start: float | None = None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        to_small, to_sample = VideoReformatter(), VideoReformatter()  # keep their scaler contexts
        next_sample, last_duration, complete = 0.0, 0.0, True
        streams = [stream] if audio_stream is None else [stream, audio_stream]
        try:
            for packet in container.demux(*streams):
                for frame in packet.decode():
                    if isinstance(frame, av.AudioFrame):
                        if audio_start is None and frame.time is not None:
                            audio_start = frame.time
                        chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
                        continue
                    if not isinstance(frame, av.VideoFrame):
                        continue
                    index = len(small)
                    time = frame.time if frame.time is not None else index / float(stream.average_rate or 25)
                    times.append(time)
                    if frame.duration and frame.time_base:
                        last_duration = float(frame.duration * frame.time_base)
                    small.append(_scale(to_small, frame, SMALL_WIDTH, SMALL_HEIGHT, "rgb24"))
                    relative = time - times[0]
                    if sample_fps > 0 and relative + 1e-6 >= next_sample:
                        samples.append(_jpeg_sample(to_sample, frame, index, relative, max_side, jpeg_quality))
                        next_sample = (np.floor(relative * sample_fps + 1e-6) + 1) / sample_fps
        except av.error.FFmpegError:
            complete = False
        if audio_stream is not None:
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    if not small:
        raise InvalidInput("the video stream has no decodable frame (corrupt or truncated)")
    complete = complete and (not declared or len(small) >= declared)
    stamps = np.asarray(times, dtype=np.float64) - times[0]
    step = last_duration or (float(np.median(np.diff(stamps))) if len(stamps) > 1 else 1 / 25)
    duration = float(stamps[-1] + step)
    info = VideoInfo(
        fps=len(small) / duration,
        frame_count=len(small),
        duration_s=duration,
        width=stream.codec_context.width,
        height=stream.codec_context.height,
        has_audio=audio_stream is not None and bool(chunks),
    )
    audio = _align_audio(chunks, (audio_start or times[0]) - times[0]) if info.has_audio else None
    return DecodedVideo(info, np.stack(small), stamps, samples, audio, complete)


def _scale(reformatter: VideoReformatter, frame: av.VideoFrame, width: int, height: int, fmt: str) -> np.ndarray:
    """libswscale resize + colour conversion in one step, reusing the reformatter's context."""
    return reformatter.reformat(frame, width, height, fmt, interpolation="AREA").to_ndarray()


def _jpeg_sample(
    reformatter: VideoReformatter, frame: av.VideoFrame, index: int, time_s: float, max_side: int, quality: int
) -> SampledFrame:
    width, height = _sample_size(frame.width, frame.height, max_side)
    bgr = _scale(reformatter, frame, width, height, "bgr24")
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise InvalidInput(f"frame {index} could not be encoded as JPEG")
    return SampledFrame(index, time_s, width, height, encoded.tobytes())


def _align_audio(chunks: list[np.ndarray], offset_s: float) -> np.ndarray:
    """Concatenate and shift so sample 0 is at frame 0: pad a late start, trim an early one."""
    audio = np.concatenate(chunks).astype(np.float32, copy=False)
    shift = round(offset_s * AUDIO_RATE)
    if shift > 0:
        return np.concatenate([np.zeros(shift, np.float32), audio])
    return audio[-shift:]
