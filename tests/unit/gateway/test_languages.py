"""gateway/languages.py: the language of each shot's lines and the route to a label (real py3langid)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.assign import Line
from gateway.languages import VideoText, shot_texts, text_language, text_result
from gateway.subtitles import Cue


@dataclass(frozen=True)
class Span:
    start_s: float
    end_s: float


SHOTS = [Span(0.0, 5.0), Span(5.0, 10.0), Span(10.0, 15.0)]
DUTCH = [Cue(0.5, 4.5, "Ik ben vandaag zo blij! Dit is geweldig nieuws, en ik hou ervan."),
         Cue(5.5, 9.5, "Ik ben woedend. Dit is onaanvaardbaar, en ik haat het!")]
ENGLISH = [Cue(0.5, 4.5, "I am so happy today! This is wonderful news, and I love it."),
           Cue(5.5, 9.5, "I am furious. This is unacceptable, and I hate it!")]


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def test_video_language_of_subtitle_lines() -> None:
    assert text_language([c.text for c in DUTCH]) == "nl"
    assert text_language([c.text for c in ENGLISH]) == "en"
    assert text_language(["Ich bin wütend. Das ist inakzeptabel, und ich hasse es!"]) == "de"
    assert text_language([]) is None


def test_english_lines_are_classified_as_they_are() -> None:
    shots = shot_texts(VideoText("subtitles", ENGLISH, "en"), SHOTS)
    assert [s.language for s in shots] == ["en", "en", "en"]
    assert [texts(s.to_classify) for s in shots] == [[ENGLISH[0].text], [ENGLISH[1].text], []]
    assert all(s.lines_en is None and s.reason is None for s in shots)


def test_dutch_subtitles_without_a_translation_get_no_label_and_a_reason() -> None:
    shots = shot_texts(VideoText("subtitles", DUTCH, "nl"), SHOTS)
    assert [s.language for s in shots[:2]] == ["nl", "nl"]
    assert all(s.to_classify == [] for s in shots)
    assert "language 'nl'" in (shots[0].reason or "")
    result = text_result({"source": "subtitles", "lines": [], "label": None, "scores": None}, shots[0])
    assert result["label"] is None and result["scores"] is None and result["lines"] == [DUTCH[0].text]
    assert result["language"] == "nl" and "reason" in result and "translated" not in result


def test_dutch_lines_are_classified_through_the_speech_translation() -> None:
    shots = shot_texts(VideoText("subtitles", DUTCH, "nl", cues_en=ENGLISH[:1]), SHOTS)
    assert texts(shots[0].to_classify) == [ENGLISH[0].text] and texts(shots[0].lines) == [DUTCH[0].text]
    assert shots[1].to_classify == [] and "no English translation" in (shots[1].reason or "")
    base = {"source": "subtitles", "lines": texts(shots[0].to_classify), "label": "happiness", "scores": {"happiness": 1.0}}
    result = text_result(base, shots[0])
    assert result["translated"] is True and result["lines"] == [DUTCH[0].text]
    assert result["lines_en"] == [ENGLISH[0].text] and result["label"] == "happiness"


def test_a_confidently_english_shot_in_a_dutch_video_is_read_as_english() -> None:
    cues = [DUTCH[0], ENGLISH[1]]
    shots = shot_texts(VideoText("subtitles", cues, "nl"), SHOTS)
    assert shots[0].language == "nl" and shots[1].language == "en"
    assert texts(shots[1].to_classify) == [ENGLISH[1].text]


def test_a_short_line_takes_the_video_language() -> None:
    shots = shot_texts(VideoText("subtitles", [Cue(0.5, 1.0, "Okay.")], "nl"), SHOTS)
    assert shots[0].language == "nl" and shots[1].language == "nl"  # no lines: the video's
