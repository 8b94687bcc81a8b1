"""Digital silence is read as no words without asking Whisper (which guesses a language and text for it)."""

import numpy as np

from services.audio.speech import silent


def test_silence_and_dither_are_silent_while_quiet_speech_levels_are_not() -> None:
    rng = np.random.default_rng(0)
    assert silent(np.zeros(16000, np.float32))
    assert silent(np.zeros(0, np.float32))
    assert silent((rng.standard_normal(16000) * 3e-5).astype(np.float32))  # 16-bit dither
    assert not silent((0.01 * np.sin(np.arange(16000) / 5.0)).astype(np.float32))  # -40 dBFS: quiet, audible
