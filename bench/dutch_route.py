"""The route a Dutch video's text takes to a label, measured: Whisper's English translation
of the Dutch speech, classified by the English text model.

``.venv/bin/python -m bench.dutch_route`` (needs ``make models`` and ``make espeak``) writes
``bench/reports/dutch_route.md``. No Dutch emotion-labelled data and no text translation
model ship in a registry package, so the measure is built from sentences with a known
emotion written in English and Dutch (bench/_route_sentences.py, 2 per label). Each
Dutch sentence is spoken by espeak-ng with two MBROLA Dutch voices (the sample videos'
``mb-nl3`` and ``mb-nl2``) and read by the audio service's own speech-to-text (services/audio/serving.py, default
settings) as the gateway asks for it when subtitles are Dutch (``language=nl``,
``translate``); the English text model (services/text, in process over HTTP) labels:

- the English original (the model's ceiling on these sentences),
- Whisper's translation of the Dutch speech (the route),
- the Dutch text as it is (what the gateway refuses to do; for contrast).

Reported: the language detected without a hint, the share of key words in each
translation, accuracy and weighted F1 against the written emotion, and agreement of the
route's label with the label of the English original.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np
from fastapi.testclient import TestClient
from scipy.signal import resample_poly
from sklearn.metrics import f1_score

from bench._common import load_average, report_main, run_info, with_notes
from bench._route_sentences import SENTENCES
from devtools.sample_video import speak
from devtools.speech_scripts import SCRIPTS, keyword_share
from emocore.settings import REPO_ROOT
from services.audio.serving import load_speech
from services.audio.settings import AudioSettings
from services.audio.speech import SpeechToText
from services.text.app import create_app as text_app

REPORT = REPO_ROOT / "bench" / "reports" / "dutch_route.md"
RATE = 16000


VOICES = ("mb-nl3", "mb-nl2")  # the sample videos' Dutch voice first; a second voice shows the spread


def dutch_speech(text: str, voice: str) -> np.ndarray:
    """``text`` spoken by ``voice`` at the sample videos' Dutch rate, 16 kHz, half a second of silence around it."""
    voice_samples, rate = speak(text, voice, SCRIPTS["nl"].speed)
    pause = np.zeros(RATE // 2, np.float32)
    return np.concatenate([pause, resample_poly(voice_samples, RATE, rate).astype(np.float32), pause])


def labels(client: TestClient, texts: list[str]) -> list[str | None]:
    body = client.post("/v1/predict", json={"texts": [t or "." for t in texts]}).json()
    return [p["label"] if t else None for p, t in zip(body["predictions"], texts, strict=True)]


def scores(truth: list[str], predicted: list[str | None]) -> str:
    guessed = [p or "none" for p in predicted]
    accuracy = np.mean([t == p for t, p in zip(truth, guessed, strict=True)])
    f1 = f1_score(truth, guessed, labels=sorted(set(truth)), average="weighted", zero_division=0)
    return f"{accuracy:.2f} | {f1:.2f}"


@dataclass
class Route:
    voice: str
    detected: list[str]
    translations: list[str]
    labels: list[str | None]
    audio_s: float
    seconds: float

    def shares(self) -> list[float]:
        return [keyword_share(0, t, (s.keywords,)) for s, t in zip(SENTENCES, self.translations, strict=True)]


def translate(speech: SpeechToText, voice: str) -> Route:
    """Each Dutch sentence in ``voice``: the language detected without a hint, and the English
    translation the gateway asks for when subtitles are Dutch."""
    assert speech.multilingual is not None, "no multilingual Whisper: run make models"
    detected, translations, audio_s, started = [], [], 0.0, time.perf_counter()
    for sentence in SENTENCES:
        samples = dutch_speech(sentence.dutch, voice)
        audio_s += len(samples) / RATE
        detected.append(speech.multilingual.detect_language(samples, speech.candidates))
        read = speech.read(samples, translate=True, language="nl")
        translations.append(" ".join(s.text for s in read.translation or []))
    return Route(voice, detected, translations, [], audio_s, time.perf_counter() - started)


async def run(args: argparse.Namespace) -> str:
    load_before = load_average()
    settings = AudioSettings(asr_cpu_threads=args.threads)
    speech = load_speech(settings)
    routes = [translate(speech, voice) for voice in VOICES]
    with TestClient(text_app()) as client:
        english = labels(client, [s.english for s in SENTENCES])
        raw = labels(client, [s.dutch for s in SENTENCES])
        for route in routes:
            route.labels = labels(client, route.translations)
    truth = [s.label for s in SENTENCES]
    n = len(SENTENCES)
    summary = [
        "| what is classified | accuracy | weighted F1 | label = English original's | key words |",
        "|---|---:|---:|---:|---:|",
        f"| English original (the text model's ceiling here) | {scores(truth, english)} | {n}/{n} | 1.00 |",
        *[f"| Whisper's translation of the Dutch speech, voice `{r.voice}` (the route) | "
          f"{scores(truth, r.labels)} | {sum(a == b for a, b in zip(r.labels, english, strict=True))}/{n} | "
          f"{np.mean(r.shares()):.2f} |" for r in routes],
        f"| both voices together (the route) | {scores(truth * len(routes), [x for r in routes for x in r.labels])} | "
        f"{sum(a == b for r in routes for a, b in zip(r.labels, english, strict=True))}/{n * len(routes)} | "
        f"{np.mean([x for r in routes for x in r.shares()]):.2f} |",
        f"| Dutch text, English model (refused by the gateway; contrast) | {scores(truth, raw)} | "
        f"{sum(a == b for a, b in zip(raw, english, strict=True))}/{n} | |",
    ]
    rows = [
        f"| {s.label} | `{r.voice}` | {d} | {share:.2f} | {e} | {lab} | {w} | {t or '(nothing)'} |"
        for r in routes
        for s, d, share, e, lab, w, t in zip(SENTENCES, r.detected, r.shares(), english, r.labels, raw,
                                             r.translations, strict=True)
    ]
    audio_s, seconds = sum(r.audio_s for r in routes), sum(r.seconds for r in routes)
    lines = [
        "# Dutch text to a label: Whisper's translation of the speech, then the English text model", "",
        f"Command: `.venv/bin/python -m bench.dutch_route` (`make bench` runs it). "
        f"{run_info(load_before, '')['when']}; load average before/after: {load_before} / {load_average()}; "
        f"Whisper base, CTranslate2 int8 on CPU, {args.threads} threads, beam "
        f"{settings.asr_multilingual_beam_size} (the service's defaults).", "",
        f"{n} sentences, 2 per label, written with a known emotion in English and Dutch "
        "(bench/_route_sentences.py); the Dutch spoken by espeak-ng with two MBROLA voices "
        f"at {SCRIPTS['nl'].speed} words per minute: `mb-nl3` (the sample videos' voice) and `mb-nl2`.", "",
        "## Summary", "", *summary, "",
        "- Language detected without a hint (each sentence alone, ~3 s): Dutch in "
        + ", ".join(f"{sum(d == 'nl' for d in r.detected)}/{n} (`{r.voice}`)" for r in routes) + ".",
        "- A sentence whose translation Whisper scores as a failed decode (log-probability gate, "
        "docs/audio.md) has no translation and so no label (`None`): the gateway says why instead.",
        f"- Speed: detection, transcript and translation of {audio_s:.0f} s of speech in {seconds:.0f} s "
        f"({audio_s / seconds:.1f} audio-s/s; each ~3 s sentence is decoded as a whole 30 s window).", "",
        "## Per sentence", "",
        "| written | voice | detected | key words | label (English) | label (route) | label (Dutch text) "
        "| translation |",
        "|---|---|---|---:|---|---|---|---|", *rows,
    ]
    return with_notes(lines, [
        "Synthetic speech is cleaner than broadcast audio but less natural; real Dutch speech "
        "is not measured here (no Dutch emotion-labelled audio ships in a registry package).",
        "14 sentences are few: one sentence moves accuracy by 0.07, and the two voices differ by "
        "more than that: the figures measure the synthetic voice as much as the route. The "
        "sentences were written for this measure, not drawn from a corpus, so the figures say "
        "how much of the emotion survives the route, not how the text model does on television "
        "dialogue (its MELD figures are in its model card).",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    return report_main(parser, argv, run, REPORT)


if __name__ == "__main__":
    sys.exit(main())
