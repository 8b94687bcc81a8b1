"""Single-pass streaming decode of a video with PyAV, in chunks of bounded size.

``stream_video(path, chunk_frames=...)`` demuxes the file once and yields
``Chunk`` values as it goes, so a caller holds one chunk at a time, never the
whole video. Each chunk carries, for ``chunk_frames`` consecutive frames:
- ``small_frames``: 48x27 RGB uint8 ``[n, 27, 48, 3]`` for shot detection;
- ``timestamps``: each frame's presentation time in seconds from the first frame
  (frame index = decode order: variable-frame-rate files get exact times while
  indices stay dense);
- ``samples``: frames at ``sample_fps`` (default 2 per second; 0 = none) downscaled
  so the longer side is at most ``max_side`` and JPEG-encoded, for face analysis;
- ``audio``: audio track ``audio_track`` (0 = the first) resampled to 16 kHz mono float32, continuing
  where the previous chunk's ended and aligned so sample 0 is the time of frame 0.
Interlaced video (``gateway.deinterlace``) is deinterlaced with ``bwdif`` before
anything is taken from its frames (``deinterlace=False`` turns this off).
The generator returns an ``End`` (info measured on what was decoded, whether the
stream was complete). ``max_seconds`` caps what is decoded: past that many seconds
of frames ``PayloadTooLarge`` is raised, whatever the container declared.
``decode_video`` gathers the whole stream into one ``DecodedVideo`` (for scripts,
benchmarks and reference runs; a job never holds it).

Scaling: ``frame.reformat`` (libswscale) straight from YUV to 48x27 RGB with AREA
interpolation is ~4x cheaper than converting the full frame to RGB and
``cv2.resize``-ing it (bench/reports/shots.md).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from emocore.errors import InvalidInput, PayloadTooLarge
from gateway.deinterlace import Deinterlacer, is_interlaced
from gateway.probe import DEFAULT_FPS, VideoInfo, open_video, video_stream

SMALL_WIDTH, SMALL_HEIGHT = 48, 27
AUDIO_RATE = 16000
NO_FRAME = "the video stream has no decodable frame (corrupt or truncated)"


@dataclass(frozen=True)
class SampledFrame:
    index: int  # frame index in decode order
    time_s: float
    width: int
    height: int
    jpeg: bytes


@dataclass(frozen=True)
class Chunk:
    start: int  # index of the chunk's first frame
    small_frames: np.ndarray  # [n, 27, 48, 3] uint8 RGB
    timestamps: np.ndarray  # [n] float64 seconds from the first frame
    samples: list[SampledFrame]
    audio: np.ndarray | None  # float32 mono at AUDIO_RATE, following the previous chunk's


@dataclass(frozen=True)
class End:
    info: VideoInfo  # measured on what was decoded
    complete: bool  # False when the stream broke off before its declared end


@dataclass(frozen=True)
class DecodedVideo:
    info: VideoInfo
    small_frames: np.ndarray  # [N, 27, 48, 3] uint8 RGB
    timestamps: np.ndarray  # [N] float64 seconds from the first frame
    samples: list[SampledFrame]
    audio: np.ndarray | None  # float32 mono at AUDIO_RATE
    complete: bool


class _Audio:
    """Resampled audio chunks, shifted once so that sample 0 is the time of frame 0."""

    def __init__(self) -> None:
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        self.pending: list[np.ndarray] = []
        self.start: float | None = None  # time of the first audio frame
        self.shift: int | None = None  # samples to pad (> 0) or drop (< 0) before the first
        self.seen = False

    def add(self, frame: av.AudioFrame | None) -> None:
        if frame is not None and self.start is None and frame.time is not None:
            self.start = frame.time
        for resampled in self.resampler.resample(frame):
            self.pending.append(resampled.to_ndarray().reshape(-1))
            self.seen = True

    def take(self, first_video_time: float) -> np.ndarray:
        audio = np.concatenate(self.pending).astype(np.float32, copy=False) if self.pending else np.zeros(0, np.float32)
        self.pending = []
        if self.shift is None:
            self.shift = round(((self.start if self.start is not None else first_video_time) - first_video_time) * AUDIO_RATE)
        if self.shift > 0:
            audio, self.shift = np.concatenate([np.zeros(self.shift, np.float32), audio]), 0
        elif self.shift < 0:
            drop = min(-self.shift, len(audio))
            audio, self.shift = audio[drop:], self.shift + drop
        return audio


def stream_video(
    path: str | Path,
    *,
    chunk_frames: int = 250,
    sample_fps: float = 2.0,
    max_side: int = 640,
    jpeg_quality: int = 90,
    with_audio: bool = True,
    max_seconds: float | None = None,
    audio_track: int = 0,
    deinterlace: bool = True,
) -> Generator[Chunk, None, End]:
    """Decode the file once, yielding chunks of ``chunk_frames`` frames; returns the ``End``."""
    with open_video(Path(path)) as container:
        stream = video_stream(container)
        tracks = container.streams.audio
        audio_stream = tracks[min(audio_track, len(tracks) - 1)] if with_audio and tracks else None
        declared, rate = stream.frames, float(stream.average_rate or DEFAULT_FPS)
        audio = _Audio() if audio_stream is not None else None
        to_small, to_sample = VideoReformatter(), VideoReformatter()  # keep their scaler contexts
        small: list[np.ndarray] = []
        times: list[float] = []
        samples: list[SampledFrame] = []
        count, first, last, gap, next_sample, last_duration, complete = 0, 0.0, 0.0, 0.0, 0.0, 0.0, True

        def chunk() -> Chunk:
            sound = audio.take(first) if audio is not None else None
            frames = np.stack(small) if small else np.zeros((0, SMALL_HEIGHT, SMALL_WIDTH, 3), np.uint8)
            out = Chunk(count - len(small), frames, np.asarray(times, np.float64) - first, samples.copy(), sound)
            small.clear()
            times.clear()
            samples.clear()
            return out

        streams: list[av.stream.Stream] = [stream] if audio_stream is None else [stream, audio_stream]
        state = _Frames(container, streams, stream, audio, deinterlace)
        try:
            for frame, frame_time, frame_duration in state.frames():
                time = frame_time if frame_time is not None else count / rate
                if count == 0:
                    first = time
                relative = time - first
                gap, last = relative - last, relative
                if max_seconds is not None and relative > max_seconds:
                    raise PayloadTooLarge(
                        f"the video holds more than {max_seconds:.0f} s of frames "
                        f"(decoding stopped at frame {count}), over the {max_seconds:.0f}-s limit",
                        code="video_too_long",
                    )
                if frame_duration:
                    last_duration = frame_duration
                times.append(time)
                small.append(_scale(to_small, frame, SMALL_WIDTH, SMALL_HEIGHT, "rgb24"))
                if sample_fps > 0 and relative + 1e-6 >= next_sample:
                    samples.append(_jpeg_sample(to_sample, frame, count, relative, max_side, jpeg_quality))
                    next_sample = (np.floor(relative * sample_fps + 1e-6) + 1) / sample_fps
                count += 1
                if len(small) >= chunk_frames:
                    yield chunk()
        except av.error.FFmpegError:
            complete = False
        if audio is not None:
            audio.add(None)
        if count and (small or (audio is not None and audio.pending)):
            yield chunk()
        width, height = stream.codec_context.width, stream.codec_context.height
    if count == 0:
        raise InvalidInput(NO_FRAME)
    step = last_duration or (gap if count > 1 else 1 / rate)
    duration = last + step
    info = VideoInfo(
        fps=count / duration,
        frame_count=count,
        duration_s=duration,
        width=width,
        height=height,
        has_audio=audio is not None and audio.seen,
        interlaced=state.deinterlacer is not None,
    )
    return End(info, complete and (not declared or count >= declared))


class _Frames:
    """The video frames of a demux pass (deinterlaced when the stream is interlaced), feeding audio on the way."""

    def __init__(
        self, container: av.container.InputContainer, streams: list[av.stream.Stream], stream: av.VideoStream,
        audio: _Audio | None, deinterlace: bool,
    ) -> None:
        self.container, self.streams, self.stream, self.audio = container, streams, stream, audio
        self.deinterlace = deinterlace
        self.deinterlacer: Deinterlacer | None = None

    def frames(self) -> Iterator[tuple[av.VideoFrame, float | None, float]]:
        """(frame, time in seconds or None, duration in seconds or 0) in presentation order."""
        first = True
        for packet in self.container.demux(*self.streams):
            for frame in packet.decode():
                if isinstance(frame, av.AudioFrame):
                    if self.audio is not None:
                        self.audio.add(frame)
                    continue
                if not isinstance(frame, av.VideoFrame):
                    continue
                if first and self.deinterlace and is_interlaced(self.stream, frame):
                    self.deinterlacer = Deinterlacer(self.stream)
                first = False
                if self.deinterlacer is not None:
                    yield from self.deinterlacer.push(frame)
                else:
                    duration = float(frame.duration * frame.time_base) if frame.duration and frame.time_base else 0.0
                    yield frame, frame.time, duration
        if self.deinterlacer is not None:
            yield from self.deinterlacer.flush()


def decode_video(
    path: str | Path,
    *,
    sample_fps: float = 2.0,
    max_side: int = 640,
    jpeg_quality: int = 90,
    with_audio: bool = True,
    deinterlace: bool = True,
    audio_track: int = 0,
) -> DecodedVideo:
    """The whole stream in memory at once; for scripts, benchmarks and reference runs, never a job."""
    chunks: list[Chunk] = []
    stream = stream_video(
        path, chunk_frames=1000, sample_fps=sample_fps, max_side=max_side, jpeg_quality=jpeg_quality,
        with_audio=with_audio, deinterlace=deinterlace, audio_track=audio_track,
    )
    while True:
        try:
            chunks.append(next(stream))
        except StopIteration as stop:
            end: End = stop.value
            break
    sounds = [c.audio for c in chunks if c.audio is not None]
    audio = np.concatenate(sounds) if end.info.has_audio and sounds else None
    return DecodedVideo(
        end.info,
        np.concatenate([c.small_frames for c in chunks]),
        np.concatenate([c.timestamps for c in chunks]),
        [s for c in chunks for s in c.samples],
        audio,
        end.complete,
    )


def _scale(reformatter: VideoReformatter, frame: av.VideoFrame, width: int, height: int, fmt: str) -> np.ndarray:
    """libswscale resize + colour conversion in one step, reusing the reformatter's context."""
    return reformatter.reformat(frame, width, height, fmt, interpolation="AREA").to_ndarray()


def _sample_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2)


def _jpeg_sample(
    reformatter: VideoReformatter, frame: av.VideoFrame, index: int, time_s: float, max_side: int, quality: int
) -> SampledFrame:
    width, height = _sample_size(frame.width, frame.height, max_side)
    bgr = _scale(reformatter, frame, width, height, "bgr24")
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise InvalidInput(f"frame {index} could not be encoded as JPEG")
    return SampledFrame(index, time_s, width, height, encoded.tobytes())
