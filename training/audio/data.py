"""RAVDESS speech clips as model windows: listing, loading, augmentation, speaker folds.

Clips are read from the shared 16 kHz FLAC copy (actors 01-20; see its README) and
prepared exactly as the service prepares a segment: speech detection, then
``services.audio.model.speech_windows``. Training copies are augmented before that
(speed, gain, background noise, leading/trailing context), evaluation copies are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from emocore.labels import RAVDESS, label_index
from services.audio.decode import SAMPLE_RATE
from services.audio.model import speech_windows
from services.audio.vad import Speech, SpeechDetector

DEFAULT_ROOT = Path("/work/shared/datasets/ravdess")


@dataclass(frozen=True)
class Clip:
    path: Path
    label: int  # index into emocore.labels.LABELS (calm -> neutral)
    actor: int
    emotion_code: str


def list_clips(root: Path) -> list[Clip]:
    """Every ``Actor_*/*.flac`` clip, sorted, with its label and actor from the file name."""
    clips = []
    for path in sorted(Path(root).glob("Actor_*/*.flac")):
        parts = path.stem.split("-")
        clips.append(Clip(path, label_index(RAVDESS[parts[2]]), int(parts[6]), parts[2]))
    if not clips:
        raise FileNotFoundError(f"no RAVDESS clips under {root} (expected Actor_*/*.flac)")
    return clips


def load(path: Path) -> np.ndarray:
    samples, rate = sf.read(path, dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"{path}: {rate} Hz, expected the 16 kHz copy")
    return samples.mean(axis=1)


def augment(samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A perturbed copy: speed 0.9-1.1 (pitch follows), gain +-6 dB, noise at 15-40 dB SNR
    half of the time, and 0-0.4 s of the leading and trailing context cut away."""
    speed = rng.uniform(0.9, 1.1)
    grid = np.arange(0, samples.shape[0] - 1, speed)
    out = np.interp(grid, np.arange(samples.shape[0]), samples).astype(np.float32)
    out *= np.float32(10 ** (rng.uniform(-6, 6) / 20))
    if rng.random() < 0.5:
        power = float(np.mean(out**2)) + 1e-12
        snr = rng.uniform(15, 40)
        out += rng.normal(0, np.sqrt(power / 10 ** (snr / 10)), out.shape[0]).astype(np.float32)
    head, tail = (int(rng.uniform(0, 0.4) * SAMPLE_RATE) for _ in range(2))
    return out[head : out.shape[0] - tail] if out.shape[0] > head + tail + SAMPLE_RATE else out


def clip_windows(samples: np.ndarray, detector: SpeechDetector) -> tuple[np.ndarray, np.ndarray, bool]:
    """The service's windows and speech weights, and whether speech was found.

    Without detected speech (the service would answer ``speech: false``) the whole
    clip is one window, so training still sees it; evaluation counts it as a miss.
    """
    speech = detector.detect(samples)
    if not speech.present:
        speech = Speech([(0, samples.shape[0])], speech.min_speech_s)
        return (*speech_windows(samples, speech), False)
    return (*speech_windows(samples, speech), True)


def actor_folds(actors: np.ndarray, per_fold: int = 4) -> list[np.ndarray]:
    """Boolean held-out masks: actors 1-4, 5-8, ... (each fold leaves ``per_fold`` actors out)."""
    groups = (actors - 1) // per_fold
    return [groups == g for g in np.unique(groups)]
