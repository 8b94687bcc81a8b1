"""Sentences with a known emotion, in English and in Dutch, for measuring the Dutch route.

Written for bench/dutch_route.py: two per label, everyday lines whose emotion a
reader would agree on, each with a Dutch rendering (written by hand, no translation
model: none ships in a registry package) and the English key words a translation of
the Dutch should contain (tuples of accepted spellings, matched as word prefixes by
devtools.speech_scripts.keyword_share). None of them is in devtools/speech_scripts.py:
the voices and decoding options were chosen on other sentences.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RouteSentence:
    label: str  # the emotion the sentence was written to carry
    english: str
    dutch: str
    keywords: tuple[tuple[str, ...], ...]


SENTENCES: tuple[RouteSentence, ...] = (
    RouteSentence("anger", "Get out of my house right now, I am sick of your lies!",
                  "Ga nu meteen mijn huis uit, ik ben je leugens zat!",
                  (("out",), ("house", "home"), ("lie", "lying"))),
    RouteSentence("anger", "How dare you take my car without asking me!",
                  "Hoe durf je mijn auto te nemen zonder het mij te vragen!",
                  (("dare",), ("car",), ("ask",))),
    RouteSentence("disgust", "This soup smells rotten, it is absolutely disgusting.",
                  "Deze soep ruikt rot, het is echt walgelijk.",
                  (("soup",), ("smell", "stink"), ("rot",), ("disgust", "gross", "revolting", "horrible"))),
    RouteSentence("disgust", "There are worms in the bread, it makes me sick.",
                  "Er zitten wormen in het brood, ik word er misselijk van.",
                  (("worm",), ("bread",), ("sick", "nause"))),
    RouteSentence("fear", "Somebody is walking behind me in the dark, I am scared.",
                  "Er loopt iemand achter me in het donker, ik ben bang.",
                  (("someone", "somebody"), ("behind",), ("dark",), ("scared", "afraid", "fear", "frighten"))),
    RouteSentence("fear", "Please help me, the house is on fire and I cannot get out!",
                  "Help me alsjeblieft, het huis staat in brand en ik kan er niet uit!",
                  (("help",), ("house", "home"), ("fire", "burn"))),
    RouteSentence("happiness", "We won the match, this is the best day of my life!",
                  "We hebben de wedstrijd gewonnen, dit is de mooiste dag van mijn leven!",
                  (("won", "win"), ("match", "game", "competition"), ("day",), ("life",))),
    RouteSentence("happiness", "I passed my exam, I am so proud and happy.",
                  "Ik ben geslaagd voor mijn examen, ik ben zo trots en blij.",
                  (("pass", "succeed"), ("exam",), ("proud",), ("happy", "glad"))),
    RouteSentence("neutral", "The train to Amsterdam leaves every morning.",
                  "De trein naar Amsterdam vertrekt elke ochtend.",
                  (("train",), ("amsterdam",), ("leave", "depart", "go"), ("morning",))),
    RouteSentence("neutral", "Put the books on the table next to the window.",
                  "Leg de boeken op de tafel naast het raam.",
                  (("book",), ("table",), ("window",))),
    RouteSentence("sadness", "My grandmother died last night and I cannot stop crying.",
                  "Mijn oma is vannacht overleden en ik kan niet stoppen met huilen.",
                  (("grandm", "grandma", "granny"), ("died", "passed", "dead"), ("cry",))),
    RouteSentence("sadness", "Nobody came to my birthday, I feel so alone.",
                  "Niemand kwam naar mijn verjaardag, ik voel me zo alleen.",
                  (("nobody", "none", "noone"), ("birthday",), ("alone", "lonely"))),
    RouteSentence("surprise", "What? You are getting married? I had no idea!",
                  "Wat? Ga jij trouwen? Ik had geen idee!",
                  (("what",), ("married", "marry", "wedding"), ("idea",))),
    RouteSentence("surprise", "I did not expect to see you here, what a surprise!",
                  "Ik had niet verwacht jou hier te zien, wat een verrassing!",
                  (("expect",), ("see",), ("here",), ("surprise",))),
)
