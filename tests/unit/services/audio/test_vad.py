"""Speech detection on real and generated audio: speech yes; silence, tones and music no."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devtools.audio import (
    ANGRY_CLIP,
    SAD_CLIP,
    clip,
    pulsed_tone,
    song_part,
    synth_music,
    tone,
)
from services.audio.decode import SAMPLE_RATE
from services.audio.vad import SpeechDetector, tone_purity


@pytest.fixture(scope="module")
def detector() -> SpeechDetector:
    return SpeechDetector()


@pytest.mark.parametrize("path", [ANGRY_CLIP, SAD_CLIP], ids=["angry-male", "sad-female"])
def test_ravdess_speech_is_found_where_it_is(detector: SpeechDetector, path: Path) -> None:
    samples = clip(path)
    speech = detector.detect(samples)
    assert speech.present
    assert 1.0 < speech.seconds < 3.0  # one short sentence inside a ~4 s clip
    start, end = speech.regions[0][0], speech.regions[-1][1]
    assert start > 0.3 * SAMPLE_RATE and end < samples.shape[0]  # the silence around it is not speech


NOT_SPEECH = {
    "digital-silence": lambda: np.zeros(5 * SAMPLE_RATE, np.float32),
    "quiet-noise": lambda: np.random.default_rng(0).normal(0, 0.001, 5 * SAMPLE_RATE).astype(np.float32),
    "loud-noise": lambda: np.random.default_rng(0).normal(0, 0.1, 5 * SAMPLE_RATE).astype(np.float32),
    "tone-200hz": lambda: tone(200.0, 5.0),
    "tone-1khz": lambda: tone(1000.0, 5.0),
    "pulsed-tone-180hz": lambda: pulsed_tone(180.0, 5.0),
    "synth-music": lambda: synth_music(8.0),
    "song-instrumental-intro": lambda: song_part(0.0, 18.0),
}


@pytest.mark.parametrize("name", list(NOT_SPEECH))
def test_no_speech_in_silence_tones_and_music(detector: SpeechDetector, name: str) -> None:
    speech = detector.detect(NOT_SPEECH[name]())
    assert not speech.present
    assert speech.seconds < 0.25


def test_pulsed_tone_needs_the_tone_veto() -> None:
    permissive = SpeechDetector(max_tone_purity=1.01)  # Silero alone
    assert permissive.detect(pulsed_tone(180.0, 5.0)).present


def test_sung_vocals_over_a_band_are_not_speech(detector: SpeechDetector) -> None:
    # Documented behaviour (docs/audio.md): Silero scores singing below its threshold.
    assert not detector.detect(song_part(40.0, 56.0)).present


def test_tone_purity_separates_tones_from_speech() -> None:
    assert tone_purity(tone(440.0)) > 0.99
    assert tone_purity(pulsed_tone()) > 0.99
    assert tone_purity(clip(ANGRY_CLIP)) < 0.75
    assert tone_purity(np.zeros(100, np.float32)) == 0.0
