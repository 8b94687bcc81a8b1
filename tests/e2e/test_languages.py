"""Videos in other languages through the gateway and every service as its own process.

The samples (devtools.sample_video with ``language``) are the four scenes spoken by
espeak-ng in German or Dutch, with SRT subtitles in the same language. German
speech without subtitles is transcribed and translated by Whisper: each shot's text
is labelled from the English translation. Dutch subtitles are identified as Dutch;
each shot is labelled from the English translation of its speech, or has no label
and says why: never an English model's guess on Dutch words.
"""

from __future__ import annotations

import pytest

from devtools.sample_video import cached
from devtools.serve import LocalStack
from devtools.speech_scripts import keyword_share
from emocore.labels import LABELS
from tests.e2e.test_video_jobs import assert_scores, post_video

pytestmark = pytest.mark.slow


def test_german_speech_is_detected_translated_and_labelled(stack: LocalStack) -> None:
    clip = cached("de", language="de")
    response = post_video(stack, clip, subtitles=False, wait=True)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["language"] == "de" and result["text_source"] == "asr"
    english = []
    for shot in result["shots"]:
        text = shot["text"]
        assert text["language"] == "de" and text["translated"] is True
        assert text["lines"] and text["lines_en"]
        assert_scores(text)
        english.append(" ".join(text["lines_en"]))
    shares = [keyword_share(index, line) for index, line in enumerate(english)]
    assert sum(shares) / len(shares) >= 0.4, (shares, english)  # shots split the translation


def test_dutch_subtitles_are_dutch_and_never_read_by_the_english_model(stack: LocalStack) -> None:
    clip = cached("nl", language="nl")
    response = post_video(stack, clip, subtitles=True, wait=True)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["language"] == "nl" and result["text_source"] == "subtitles"
    for shot, cue in zip(result["shots"], clip.cues, strict=True):
        text = shot["text"]
        assert text["language"] == "nl" and text["lines"] == [cue.text]
        if text.get("translated"):
            assert text["lines_en"] and text["label"] in LABELS
            assert_scores(text)
        else:
            assert text["label"] is None and text["scores"] is None and text["reason"]
