"""Cutting a segment's speech into model windows, and pooling their scores."""

from __future__ import annotations

import numpy as np
import pytest

from services.audio.model import (
    CONTEXT_SAMPLES,
    MIN_WINDOW_SPEECH,
    WINDOW_SAMPLES,
    pool_scores,
    speech_windows,
)
from services.audio.vad import Speech

SR = 16000


def ramp(seconds: float) -> np.ndarray:
    """Distinct non-zero samples, so each window's origin can be read back."""
    return np.arange(1, int(seconds * SR) + 1, dtype=np.float32)


def test_short_speech_is_one_window_with_context_and_zero_padding() -> None:
    samples = ramp(10)
    speech = Speech([(3 * SR, 4 * SR)], 0.25)
    windows, weights = speech_windows(samples, speech)
    assert windows.shape == (1, WINDOW_SAMPLES)
    span = SR + 2 * CONTEXT_SAMPLES
    assert windows[0, 0] == samples[3 * SR - CONTEXT_SAMPLES]
    assert np.all(windows[0, :span] != 0) and np.all(windows[0, span:] == 0)
    assert weights.tolist() == [SR]


def test_context_is_clipped_at_the_segment_edges() -> None:
    samples = ramp(2)
    windows, _ = speech_windows(samples, Speech([(0, 2 * SR)], 0.25))
    assert windows[0, 0] == samples[0] and np.count_nonzero(windows[0]) == 2 * SR


def test_long_speech_is_tiled_and_the_last_window_ends_with_the_span() -> None:
    samples = ramp(20)
    windows, weights = speech_windows(samples, Speech([(SR, 11 * SR)], 0.25))
    # span 0.5 s .. 11.5 s = 11 s: windows at 0.5, 4.5 and 7.5 s (the last one aligned to the end)
    assert windows.shape == (3, WINDOW_SAMPLES)
    assert [w[0] for w in windows] == [samples[int(s * SR)] for s in (0.5, 4.5, 7.5)]
    assert windows[-1, -1] == samples[int(11.5 * SR) - 1]
    assert np.all(weights > 0)


def test_windows_in_a_long_pause_are_skipped() -> None:
    samples = ramp(30)
    speech = Speech([(SR, 3 * SR), (27 * SR, 29 * SR)], 0.25)
    windows, weights = speech_windows(samples, speech)
    # span 0.5 .. 29.5 s: of its 7 windows only those holding speech are kept: the one at
    # 0.5 s, the one at 24.5 s and the end-aligned one at 25.5 s.
    assert [w[0] for w in windows] == [samples[int(s * SR)] for s in (0.5, 24.5, 25.5)]
    assert np.all(weights >= MIN_WINDOW_SPEECH)


def test_no_regions_no_windows() -> None:
    windows, weights = speech_windows(ramp(3), Speech([], 0.25))
    assert windows.shape == (0, WINDOW_SAMPLES) and weights.shape == (0,)


def test_pool_scores_weights_windows_by_their_speech() -> None:
    probs = np.array([[1.0, 0, 0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0, 0, 0]])
    pooled = pool_scores(probs, np.array([3.0, 1.0]))
    assert pooled[:2] == pytest.approx([0.75, 0.25])
    assert pool_scores(probs, np.zeros(2))[:2] == pytest.approx([0.5, 0.5])
