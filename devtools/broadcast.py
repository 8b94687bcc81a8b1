"""Broadcast-style test media: interlaced MPEG-2 720x576 in MXF with several audio tracks, a face in motion.

``mxf_from_sample`` re-encodes the first ``shots`` shots of a ``devtools.sample_video``
sample as an MXF (OP1a, MPEG-2 at 25 fps, 720x576, interlaced DCT/ME so the
stream declares a field order) with one mono PCM track per entry of ``tracks``:
``"music"`` (synthesised music, no speech), ``"speech"`` (the sample's espeak-ng
lines) or ``"silence"``. FFmpeg's MXF muxer writes no language tags (its demuxer
reads them from MCA labels), so tagged tracks are written to Matroska instead. ``moving_face`` writes a truly interlaced clip:
each frame weaves two fields taken 1/50 s apart of the astronaut's face sliding
horizontally, so a moving face shows combing until it is deinterlaced.
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np

from devtools.audio import synth_music
from devtools.sample_video import Sample
from devtools.samples import skimage_image
from gateway.subtitles import Cue

SIZE = (720, 576)
FPS = 25
RATE = 48000


def _video_stream(out: av.container.OutputContainer) -> av.VideoStream:
    stream = out.add_stream("mpeg2video", rate=FPS)
    stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
    stream.bit_rate = 8_000_000
    stream.codec_context.flags = av.codec.context.Flags.interlaced_dct | av.codec.context.Flags.interlaced_me
    return stream


def _write_audio(out: av.container.OutputContainer, stream: av.AudioStream, samples: np.ndarray) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    for start in range(0, len(pcm), 4800):
        frame = av.AudioFrame.from_ndarray(pcm[None, start : start + 4800], format="s16", layout="mono")
        frame.sample_rate, frame.pts = RATE, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _speech(sample: Sample, seconds: float) -> np.ndarray:
    with av.open(str(sample.video)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        parts = [f.to_ndarray().reshape(-1) for frame in container.decode(audio=0) for f in resampler.resample(frame)]
    audio = np.concatenate(parts)[: round(seconds * RATE)]
    return np.pad(audio, (0, round(seconds * RATE) - len(audio)))


def mxf_from_sample(
    sample: Sample, path: Path, *, shots: int = 2, tracks: tuple[str, ...] = ("music", "speech"),
    languages: tuple[str, ...] = (),
) -> list[Cue]:
    """Write the MXF (or, for a ``.mkv`` path, Matroska, which keeps ``languages``); the cues of the shots kept."""
    end_s = sample.cut_times_s[shots - 1] if shots <= len(sample.cut_times_s) else sample.duration_s
    count = round(end_s * FPS)
    with av.open(str(path), "w", format="matroska" if path.suffix == ".mkv" else "mxf") as out:
        video = _video_stream(out)
        audio = [out.add_stream("pcm_s16le", rate=RATE, layout="mono") for _ in tracks]
        for stream, language in zip(audio, languages, strict=False):
            stream.metadata["language"] = language
        with av.open(str(sample.video)) as source:
            source_fps = float(source.streams.video[0].average_rate or 30)
            frames = [f.to_ndarray(format="rgb24") for f in source.decode(video=0)]
        for index in range(count):
            picture = frames[min(len(frames) - 1, int(index / FPS * source_fps))]
            resized = np.asarray(cv2.resize(picture, SIZE, interpolation=cv2.INTER_LINEAR), np.uint8)
            frame = av.VideoFrame.from_ndarray(resized, format="rgb24")
            frame = frame.reformat(format="yuv420p")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        sounds = {"music": synth_music(end_s, rate=RATE) * 0.5, "speech": _speech(sample, end_s),
                  "silence": np.zeros(round(end_s * RATE), np.float32)}
        for stream, kind in zip(audio, tracks, strict=True):
            _write_audio(out, stream, sounds[kind][: round(end_s * RATE)])
    return [c for c in sample.cues if c.start_s < end_s]


def moving_face(path: Path, *, seconds: float = 4.0, speed_px_per_field: float = 14.0) -> None:
    """An interlaced clip of a face moving horizontally (fields 1/50 s apart, top field first)."""
    image = cv2.imread(str(skimage_image("astronaut.png")))
    if image is None:
        raise FileNotFoundError("scikit-image's astronaut.png does not read")
    astronaut = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    face = cv2.resize(astronaut[0:300, 90:330], (240, 300), interpolation=cv2.INTER_AREA)
    width, height = SIZE

    def field_picture(field: int) -> np.ndarray:
        canvas = np.full((height, width, 3), 90, np.uint8)
        x = int(40 + (field * speed_px_per_field) % (width - 320))
        canvas[140:440, x : x + 240] = face
        return canvas

    with av.open(str(path), "w", format="mxf") as out:
        video = _video_stream(out)
        for index in range(round(seconds * FPS)):
            woven = field_picture(2 * index)
            woven[1::2] = field_picture(2 * index + 1)[1::2]
            frame = av.VideoFrame.from_ndarray(woven, format="rgb24").reformat(format="yuv420p")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
