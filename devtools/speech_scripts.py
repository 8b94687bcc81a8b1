"""What the sample videos say, per language: espeak-ng voice, sentences, and their English key words.

The same four scenes in each language (happy, surprised, angry, sad; see
devtools/sample_video.py). ``KEYWORDS`` lists, per sentence, the English words a
translation of it should contain; each entry is a tuple of accepted spellings,
matched as word prefixes ("love" matches "loved"). The voices are the espeak-ng
variants that multilingual Whisper base recognises best on this synthetic speech
(measured: default Dutch and French voices are heard as English or Czech).
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("carphone", "astronaut", "mirror", "china")


@dataclass(frozen=True)
class Script:
    voice: str  # espeak-ng voice (and variant)
    speed: int  # words per minute
    sentences: tuple[str, str, str, str]  # one per scene, in KINDS order


SCRIPTS: dict[str, Script] = {
    "en": Script("en-us", 145, (
        "I am so happy today! This is wonderful news, and I love it.",
        "Wow! I can not believe it. What an amazing surprise!",
        "I am furious. This is unacceptable, and I hate it!",
        "I miss her so much. I feel sad and lonely without her.",
    )),
    "nl": Script("nl+klatt", 165, (
        "Ik ben vandaag zo blij! Dit is geweldig nieuws, en ik hou ervan.",
        "Wauw! Ik kan het niet geloven. Wat een geweldige verrassing!",
        "Ik ben woedend. Dit is onaanvaardbaar, en ik haat het!",
        "Ik mis haar zo erg. Ik voel me verdrietig en eenzaam zonder haar.",
    )),
    "de": Script("de", 145, (
        "Ich bin heute so glücklich! Das sind wunderbare Nachrichten, und ich liebe es.",
        "Wow! Ich kann es nicht glauben. Was für eine tolle Überraschung!",
        "Ich bin wütend. Das ist inakzeptabel, und ich hasse es!",
        "Ich vermisse sie so sehr. Ich fühle mich traurig und einsam ohne sie.",
    )),
    "fr": Script("fr+m1", 165, (
        "Je suis si heureux aujourd'hui! C'est une merveilleuse nouvelle, et j'adore ça.",
        "Oh là là! Je n'arrive pas à y croire. Quelle surprise incroyable!",
        "Je suis furieux. C'est inacceptable, et je déteste ça!",
        "Elle me manque tellement. Je me sens triste et seul sans elle.",
    )),
}

KEYWORDS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("happy", "glad", "joy"), ("today",), ("news",), ("love", "like", "ador")),
    (("believe", "unbeliev", "incredib"), ("surprise",), ("wow", "oh", "amazing", "great", "incredib")),
    (("furious", "angry", "mad", "rage"), ("unacceptable", "inacceptable", "accept"), ("hate",)),
    (("miss",), ("sad",), ("lonely", "alone"), ("without",)),
)


def keyword_share(sentence_index: int, english: str) -> float:
    """Share of the sentence's key words found in ``english`` (word prefixes, any case)."""
    words = ["".join(c for c in w if c.isalpha()) for w in english.lower().split()]
    wanted = KEYWORDS[sentence_index]
    found = sum(any(w.startswith(k) for w in words for k in options) for options in wanted)
    return found / len(wanted)
