"""What the sample videos say, per language: voice, sentences, and their English key words.

Two sets of four scenes (happy, surprised, angry, sad): ``SCRIPTS`` is what the sample
videos say (devtools/sample_video.py) and what tests/integration/test_audio_languages.py
and bench/reports/asr_languages.md report; ``TUNING_SCRIPTS`` holds other sentences
in the same voices, the only ones voices, speaking rate and decoding options were
chosen on, so the reported figures are not tuned on their own sentences.
``KEYWORDS`` / ``TUNING_KEYWORDS`` list, per sentence, the English words a
translation of it should contain; each entry is a tuple of accepted spellings,
matched as word prefixes ("love" matches "loved").

Voices: espeak-ng; for Dutch and French it drives MBROLA diphone voices (``mb-nl3``,
``mb-fr1``, Debian contrib/non-free, ``make espeak``; their licence forbids selling
them or a product holding them: they synthesise test audio only and never enter an
image). Measured on the tuning set with Whisper base, beam 5: espeak-ng's own Dutch
is detected as Latin, Welsh or Afrikaans (Dutch ranks 5th to 23rd, at most 0.04) and
its translation holds none of the key words; MBROLA Dutch is detected at 0.93-0.97
with 0.50 (``mb-nl2``, 120-160 wpm) or 0.58 (``mb-nl3``, 120-140 wpm) of the key words
(``mb-nl1`` lacks diphones espeak-ng asks for). French: ``fr+m1`` 0.33, ``mb-fr1`` 0.58
(greedy) to 0.75 (beam 5). German keeps espeak-ng's ``de`` (0.50).
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
    "nl": Script("mb-nl3", 140, (
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
    "fr": Script("mb-fr1", 140, (
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


TUNING_SCRIPTS: dict[str, Script] = {
    "en": Script("en-us", 145, (
        "What a beautiful day, I am so happy to see you all.",
        "Really? I never expected that, what a shock!",
        "Stop lying! I have had enough and I am angry with you.",
        "My dog died yesterday and I have been crying all day.",
    )),
    "nl": Script("mb-nl3", 140, (
        "Wat een prachtige dag, ik ben zo gelukkig met jullie allemaal.",
        "Echt waar? Dat had ik nooit verwacht, wat een schok!",
        "Hou op met liegen! Ik ben het zat en ik ben boos op je.",
        "Mijn hond is gisteren gestorven en ik huil de hele dag.",
    )),
    "de": Script("de", 145, (
        "Was für ein schöner Tag, ich bin so froh, euch alle zu sehen.",
        "Wirklich? Das hätte ich nie erwartet, was für ein Schock!",
        "Hör auf zu lügen! Ich habe genug und ich bin wütend auf dich.",
        "Mein Hund ist gestern gestorben und ich weine den ganzen Tag.",
    )),
    "fr": Script("mb-fr1", 140, (
        "Quelle belle journée, je suis tellement content de vous voir tous.",
        "Vraiment? Je ne m'y attendais pas du tout, quel choc!",
        "Arrête de mentir! J'en ai assez et je suis en colère contre toi.",
        "Mon chien est mort hier et je pleure toute la journée.",
    )),
}

TUNING_KEYWORDS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("beautiful", "wonderful", "lovely", "nice", "great"), ("day",), ("happy", "glad")),
    (("really", "true"), ("expect",), ("shock",)),
    (("lying", "lie"), ("enough", "fed", "tired", "sick"), ("angry", "mad")),
    (("dog",), ("died", "dead"), ("cry", "crying", "weep")),
)


def keyword_share(sentence_index: int, english: str,
                  keywords: tuple[tuple[tuple[str, ...], ...], ...] = KEYWORDS) -> float:
    """Share of the sentence's key words found in ``english`` (word prefixes, any case)."""
    words = ["".join(c for c in w if c.isalpha()) for w in english.lower().split()]
    wanted = keywords[sentence_index]
    found = sum(any(w.startswith(k) for w in words for k in options) for options in wanted)
    return found / len(wanted)
