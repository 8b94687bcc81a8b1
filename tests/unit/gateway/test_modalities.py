"""Shaping per-shot modality results: primary face, word-weighted text, WAV bytes, no-speech."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from emocore.labels import LABELS
from gateway.assign import Line
from gateway.modalities import no_speech, primary_scores, text_result, wav_bytes


def dist(label: str, p: float = 0.8) -> dict[str, float]:
    return {name: (p if name == label else (1 - p) / 6) for name in LABELS}


def test_primary_face_is_the_one_marked_primary() -> None:
    faces = [{"primary": False, "scores": dist("anger")}, {"primary": True, "scores": dist("happiness")}]
    assert primary_scores(faces) == dist("happiness")
    assert primary_scores([]) is None


def test_text_scores_are_weighted_by_words() -> None:
    lines = [Line("I hate this so much right now", 1.0, 0.0, 2.0), Line("ok", 1.0, 2.0, 3.0)]
    result = text_result("subtitles", lines, [{"scores": dist("anger")}, {"scores": dist("happiness")}])
    assert result["label"] == "anger" and result["source"] == "subtitles"
    assert result["lines"] == ["I hate this so much right now", "ok"]
    assert result["scores"]["anger"] == pytest.approx((7 * 0.8 + 1 * 0.2 / 6) / 8, abs=1e-5)


def test_a_line_mostly_in_another_shot_weighs_by_its_share_here() -> None:
    # Seven angry words of which a quarter falls in this shot weigh 1.75 against two happy words inside it.
    lines = [Line("I hate this so much right now", 0.25, 0.0, 4.0), Line("so happy", 1.0, 4.0, 5.0)]
    result = text_result("subtitles", lines, [{"scores": dist("anger")}, {"scores": dist("happiness")}])
    assert result["label"] == "happiness" and result["lines"][0] == "I hate this so much right now"
    assert result["scores"]["anger"] == pytest.approx((1.75 * 0.8 + 2 * 0.2 / 6) / 3.75, abs=1e-5)


def test_no_lines_is_explicitly_nothing() -> None:
    assert text_result("asr", [], []) == {"source": "asr", "lines": [], "label": None, "scores": None}
    assert no_speech("no audio track") == {"speech": False, "label": None, "scores": None, "reason": "no audio track"}


def test_wav_bytes_is_16k_mono_pcm() -> None:
    audio = np.sin(np.linspace(0, 100, 16000)).astype(np.float32) * 1.5  # clipped to [-1, 1]
    with wave.open(io.BytesIO(wav_bytes(audio))) as handle:
        assert (handle.getframerate(), handle.getnchannels(), handle.getsampwidth(), handle.getnframes()) == (16000, 1, 2, 16000)
        pcm = np.frombuffer(handle.readframes(16000), "<i2")
    assert pcm.max() == 32767
