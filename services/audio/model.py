"""Speech emotion of one audio segment: detect speech -> cut windows -> infer -> pool.

No web imports. The ``audio_emotion`` model takes raw 16 kHz windows of
``WINDOW_SAMPLES`` (4 s; the log-mel frontend is inside the ONNX graph, so Triton
and the embedded backend compute the same thing). Trailing exact zeros of a window
are padding and are left out of the model's pooling. A segment without speech gets
no emotion at all (label and scores ``None``), never a guess on noise. The
training command (``python -m training.audio.train``) prepares RAVDESS clips with
the same ``speech_windows``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np

from emocore.inference import InferenceBackend, timed_infer
from emocore.labels import NUM_LABELS, scores_dict, top_label
from services.audio.decode import SAMPLE_RATE
from services.audio.metrics import AudioMetrics
from services.audio.vad import Speech, SpeechDetector

WINDOW_SAMPLES = 4 * SAMPLE_RATE
CONTEXT_SAMPLES = SAMPLE_RATE // 2  # audio kept around the detected speech span
MIN_WINDOW_SPEECH = SAMPLE_RATE // 4  # windows with less speech than this are skipped
INPUT_NAME = "audio"
OUTPUT_NAME = "probs"


@dataclass(frozen=True)
class Emotion:
    label: str | None
    scores: dict[str, float] | None
    speech: bool
    duration_s: float
    speech_s: float

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "scores": self.scores,
            "speech": self.speech,
            "duration_s": round(self.duration_s, 3),
            "speech_s": round(self.speech_s, 3),
        }


def speech_windows(samples: np.ndarray, speech: Speech) -> tuple[np.ndarray, np.ndarray]:
    """Model windows [N, WINDOW_SAMPLES] over the speech span, and the speech samples in each.

    The span runs from the first speech onset to the last offset, widened by
    ``CONTEXT_SAMPLES``. It is tiled by windows without overlap, the last one aligned
    to the span's end; a span shorter than a window is zero-padded at the end.
    Windows with under ``MIN_WINDOW_SPEECH`` samples of speech are dropped.
    """
    if not speech.regions:
        return np.zeros((0, WINDOW_SAMPLES), np.float32), np.zeros(0)
    begin = max(0, speech.regions[0][0] - CONTEXT_SAMPLES)
    end = min(samples.shape[0], speech.regions[-1][1] + CONTEXT_SAMPLES)
    starts = list(range(begin, max(begin + 1, end - WINDOW_SAMPLES + 1), WINDOW_SAMPLES))
    if starts[-1] + WINDOW_SAMPLES < end:
        starts.append(end - WINDOW_SAMPLES)
    windows, weights = [], []
    for start in starts:
        stop = min(start + WINDOW_SAMPLES, end)
        overlap = sum(max(0, min(stop, e) - max(start, s)) for s, e in speech.regions)
        if overlap < MIN_WINDOW_SPEECH and len(starts) > 1:
            continue
        window = np.zeros(WINDOW_SAMPLES, np.float32)
        window[: stop - start] = samples[start:stop]
        windows.append(window)
        weights.append(float(overlap))
    return np.stack(windows), np.asarray(weights)


def pool_scores(probs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-window probabilities [N, 7] -> one vector, weighted by the speech in each window."""
    w = weights if weights.sum() > 0 else np.ones_like(weights)
    pooled = (probs * w[:, None]).sum(axis=0) / w.sum()
    return pooled / pooled.sum()


class AudioEmotionModel:
    """Speech detection on CPU, the emotion model on the configured backend."""

    def __init__(self, backend: InferenceBackend, detector: SpeechDetector, metrics: AudioMetrics,
                 *, model_name: str = "audio_emotion", batch_size: int = 16) -> None:
        self.backend = backend
        self.detector = detector
        self.metrics = metrics
        self.model_name = model_name
        self.batch_size = batch_size

    async def classify(self, windows: np.ndarray) -> np.ndarray:
        """[N, WINDOW_SAMPLES] windows -> [N, 7] probabilities, in batches."""
        outputs = []
        for start in range(0, len(windows), self.batch_size):
            chunk = np.ascontiguousarray(windows[start : start + self.batch_size])
            result = await timed_infer(self.backend, self.metrics, self.model_name, {INPUT_NAME: chunk}, [OUTPUT_NAME])
            outputs.append(result[OUTPUT_NAME].reshape(len(chunk), NUM_LABELS))
        return np.concatenate(outputs)

    async def predict(self, samples: np.ndarray) -> Emotion:
        """Emotion of a 16 kHz mono segment, or no emotion when it holds no speech."""
        duration = samples.shape[0] / SAMPLE_RATE
        self.metrics.count_items("audio_seconds", duration)
        speech = await asyncio.to_thread(self.detector.detect, samples)
        self.metrics.segments.labels(str(speech.present).lower()).inc()
        if not speech.present:
            return Emotion(None, None, False, duration, speech.seconds)
        windows, weights = speech_windows(samples, speech)
        pooled = pool_scores(await self.classify(windows), weights)
        return Emotion(top_label(pooled), scores_dict(pooled), True, duration, speech.seconds)
