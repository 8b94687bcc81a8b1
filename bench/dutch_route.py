"""The route a Dutch video's text takes to a label, measured: Whisper's English translation
of the Dutch speech, classified by the English text model.

``.venv/bin/python -m bench.dutch_route`` (needs ``make models`` and ``make espeak``) writes
``bench/reports/dutch_route.md``. No Dutch emotion-labelled data and no text translation
model ship in a registry package, so the measure is built from sentences with a known
emotion written in English and Dutch (bench/_route_sentences.py, 2 per label). Each
Dutch sentence is spoken by espeak-ng with the MBROLA Dutch voice (devtools.speech_scripts)
and read by the audio service's own speech-to-text (services/audio/serving.py, default
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
from services.text.app import create_app as text_app

REPORT = REPO_ROOT / "bench" / "reports" / "dutch_route.md"
RATE = 16000


def dutch_speech(text: str) -> np.ndarray:
    """``text`` spoken in the sample videos' Dutch voice, 16 kHz, half a second of silence around it."""
    script = SCRIPTS["nl"]
    voice, rate = speak(text, script.voice, script.speed)
    pause = np.zeros(RATE // 2, np.float32)
    return np.concatenate([pause, resample_poly(voice, RATE, rate).astype(np.float32), pause])


def labels(client: TestClient, texts: list[str]) -> list[str | None]:
    body = client.post("/v1/predict", json={"texts": [t or "." for t in texts]}).json()
    return [p["label"] if t else None for p, t in zip(body["predictions"], texts, strict=True)]


def scores(truth: list[str], predicted: list[str | None]) -> str:
    guessed = [p or "none" for p in predicted]
    accuracy = np.mean([t == p for t, p in zip(truth, guessed, strict=True)])
    f1 = f1_score(truth, guessed, labels=sorted(set(truth)), average="weighted", zero_division=0)
    return f"{accuracy:.2f} | {f1:.2f}"


async def run(args: argparse.Namespace) -> str:
    load_before = load_average()
    settings = AudioSettings(asr_cpu_threads=args.threads)
    speech = load_speech(settings)
    detected, translations, audio_s, started = [], [], 0.0, time.perf_counter()
    for sentence in SENTENCES:
        samples = dutch_speech(sentence.dutch)
        audio_s += len(samples) / RATE
        detected.append(speech.read(samples).language)
        read = speech.read(samples, translate=True, language="nl")
        translations.append(" ".join(s.text for s in read.translation or []))
    seconds = time.perf_counter() - started
    with TestClient(text_app()) as client:
        english = labels(client, [s.english for s in SENTENCES])
        routed = labels(client, translations)
        raw = labels(client, [s.dutch for s in SENTENCES])
    truth = [s.label for s in SENTENCES]
    shares = [keyword_share(0, t, (s.keywords,)) for s, t in zip(SENTENCES, translations, strict=True)]
    agree = sum(r == e for r, e in zip(routed, english, strict=True))
    rows = [
        f"| {s.label} | {d} | {share:.2f} | {e} | {r} | {w} | {t or '(nothing)'} |"
        for s, d, share, e, r, w, t in zip(SENTENCES, detected, shares, english, routed, raw, translations,
                                           strict=True)
    ]
    n = len(SENTENCES)
    lines = [
        "# Dutch text to a label: Whisper's translation of the speech, then the English text model", "",
        f"Command: `.venv/bin/python -m bench.dutch_route` (`make bench` runs it). "
        f"{run_info(load_before, '')['when']}; load average before/after: {load_before} / {load_average()}; "
        f"Whisper base, CTranslate2 int8 on CPU, {args.threads} threads, beam "
        f"{settings.asr_multilingual_beam_size} (the service's defaults).", "",
        f"{n} sentences, 2 per label, written with a known emotion in English and Dutch "
        "(bench/_route_sentences.py); the Dutch spoken by espeak-ng with the "
        f"MBROLA voice `{SCRIPTS['nl'].voice}`.", "",
        "## Summary", "",
        "| what is classified | accuracy | weighted F1 |", "|---|---:|---:|",
        f"| English original (the text model's ceiling here) | {scores(truth, english)} |",
        f"| Whisper's English translation of the Dutch speech (the route) | {scores(truth, routed)} |",
        f"| Dutch text, English model (refused by the gateway; contrast) | {scores(truth, raw)} |", "",
        f"- Route label equal to the English original's label: **{agree}/{n}**.",
        f"- Key words of the English original in the translation: mean share **{np.mean(shares):.2f}**.",
        f"- Language detected without a hint (each sentence alone, ~3 s): Dutch in "
        f"{sum(d == 'nl' for d in detected)}/{n}.",
        f"- Speed: detection + transcript and translation of {audio_s:.0f} s of speech in {seconds:.0f} s "
        f"({audio_s / seconds:.1f} audio-s/s).", "",
        "## Per sentence", "",
        "| written | detected | key words | label (English) | label (route) | label (Dutch text) | translation |",
        "|---|---|---:|---|---|---|---|", *rows,
    ]
    return with_notes(lines, [
        "Synthetic speech is cleaner than broadcast audio but less natural; real Dutch speech "
        "is not measured here (no Dutch emotion-labelled audio ships in a registry package).",
        "14 sentences are few: one sentence moves accuracy by 0.07. The sentences were written "
        "for this measure, not drawn from a corpus, so the figures say how much of the emotion "
        "survives the route, not how the text model does on television dialogue (its MELD "
        "figures are in its model card).",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    return report_main(parser, argv, run, REPORT)


if __name__ == "__main__":
    sys.exit(main())
