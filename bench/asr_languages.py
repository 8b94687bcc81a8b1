"""Multilingual speech-to-text: Whisper base next to tiny.en, and the translation route to a label.

``.venv/bin/python -m bench.asr_languages`` (needs ``make models``) writes
``bench/reports/asr_languages.md``. In process, on the service's own classes
(services/audio/asr.py, the text service over in-process HTTP):

- speed, audio-seconds per second: tiny.en and base on 60 s of the test video's song
  and on the English sample script; base detecting, transcribing and translating the
  German, Dutch and French scripts (devtools/speech_scripts.py, espeak-ng);
- quality on those scripts (the reported set, ``SCRIPTS``): the language Whisper detects,
  the share of each sentence's English key words in the translation, and whether the
  text model's label of the translated sentence equals its label of the English
  original; for contrast, the English text model applied to the untranslated sentences
  (what the gateway refuses to do);
- the key-word share on the tuning set (``TUNING_SCRIPTS``, the sentences voices and
  decoding were chosen on), shown apart.

Both models decode as the service does by default (services/audio/settings.py: tiny.en
greedy, base with a beam of 5, temperature 0).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from scipy.signal import resample_poly

from bench._common import load_average, report_main, run_info
from devtools.audio import song_part
from devtools.sample_video import speak
from devtools.speech_scripts import SCRIPTS, TUNING_KEYWORDS, TUNING_SCRIPTS, Script, keyword_share
from emocore.settings import DEFAULT_ASR_MULTILINGUAL_DIR, REPO_ROOT
from services.audio.asr import Segment, Transcriber
from services.audio.settings import AudioSettings, default_asr_model_dir
from services.text.app import create_app as text_app

REPORT = REPO_ROOT / "bench" / "reports" / "asr_languages.md"
RATE = 16000
PAUSE_S = 0.5


def script_audio(script: Script) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The four sentences with pauses, at 16 kHz, and each sentence's time span."""
    parts, spans, t = [], [], 0.0
    pause = np.zeros(int(PAUSE_S * RATE), np.float32)
    for sentence in script.sentences:
        voice, rate = speak(sentence, script.voice, script.speed)
        samples = resample_poly(voice, RATE, rate).astype(np.float32)
        parts += [pause, samples, pause]
        spans.append((t + PAUSE_S, t + PAUSE_S + len(samples) / RATE))
        t += len(samples) / RATE + 2 * PAUSE_S
    return np.concatenate(parts), spans


def per_sentence(segments: list[Segment], spans: list[tuple[float, float]]) -> list[str]:
    """The segments' text grouped by the sentence span holding each segment's middle."""
    texts: list[list[str]] = [[] for _ in spans]
    for s in segments:
        middle = (s.start + s.end) / 2
        index = min(range(len(spans)), key=lambda i: 0 if spans[i][0] <= middle <= spans[i][1]
                    else min(abs(middle - spans[i][0]), abs(middle - spans[i][1])))
        texts[index].append(s.text)
    return [" ".join(t) for t in texts]


def timed(func: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - started


def labels(client: TestClient, texts: list[str]) -> list[str | None]:
    body = client.post("/v1/predict", json={"texts": [t or "." for t in texts]}).json()
    return [p["label"] if t else None for p, t in zip(body["predictions"], texts, strict=True)]


async def run(args: argparse.Namespace) -> str:
    load_before = load_average()
    settings = AudioSettings()
    tiny = Transcriber(default_asr_model_dir(), cpu_threads=args.threads, beam_size=settings.asr_beam_size)
    base = Transcriber(DEFAULT_ASR_MULTILINGUAL_DIR, cpu_threads=args.threads,
                       beam_size=settings.asr_multilingual_beam_size)
    song = song_part(19.0, 79.0)
    english, _ = script_audio(SCRIPTS["en"])
    speed = ["| audio | model | task | audio-s/s |", "|---|---|---|---:|"]
    for name, audio in (("song, 60 s", song), (f"English script, {len(english) / RATE:.0f} s", english)):
        for model_name, model in (("tiny.en", tiny), ("base", base)):
            _, seconds = timed(model.transcribe, audio, language="en")
            speed.append(f"| {name} | {model_name} | transcribe (en) | {len(audio) / RATE / seconds:.1f} |")
    quality = ["| language | detected | sentence | key words | label (translated) | label (English) "
               "| label (untranslated, English model) | translation |", "|---|---|---:|---:|---|---|---|---|"]
    agree, total, shares, tuning = 0, 0, [], ["| language | voice | key words (tuning set) |", "|---|---|---:|"]
    with TestClient(text_app()) as client:
        reference = labels(client, list(SCRIPTS["en"].sentences))
        for language in ("de", "nl", "fr"):
            audio, spans = script_audio(SCRIPTS[language])
            detected, t_detect = timed(base.detect_language, audio)
            _, t_text = timed(base.transcribe, audio, language=language)
            translation, t_tr = timed(base.transcribe, audio, language=language, translate=True)
            seconds = len(audio) / RATE
            speed.append(f"| {language} script, {seconds:.0f} s | base | detect / transcribe / translate | "
                         f"{seconds / t_detect:.1f} / {seconds / t_text:.1f} / {seconds / t_tr:.1f} |")
            english_lines = per_sentence(translation.segments, spans)
            translated = labels(client, english_lines)
            untranslated = labels(client, list(SCRIPTS[language].sentences))
            for i, line in enumerate(english_lines):
                share = keyword_share(i, line)
                shares.append(share)
                agree += translated[i] == reference[i]
                total += 1
                quality.append(f"| {language} | {detected} | {i + 1} | {share:.2f} | {translated[i]} | "
                               f"{reference[i]} | {untranslated[i]} | {line[:80] or '(nothing)'} |")
            audio, spans = script_audio(TUNING_SCRIPTS[language])
            tuned = per_sentence(base.transcribe(audio, language=language, translate=True).segments, spans)
            tuned_share = np.mean([keyword_share(i, line, TUNING_KEYWORDS) for i, line in enumerate(tuned)])
            tuning.append(f"| {language} | {TUNING_SCRIPTS[language].voice} | {tuned_share:.2f} |")
    lines = [
        "# Multilingual speech-to-text and the translation route", "",
        f"Command: `.venv/bin/python -m bench.asr_languages` (`make bench` runs it). {run_info(load_before, '')['when']}; "
        f"load average before/after: {load_before} / {load_average()}; CTranslate2 int8 on CPU, "
        f"{args.threads} threads; decoding as in the service (tiny.en greedy, base beam "
        f"{settings.asr_multilingual_beam_size}, temperature 0). Voices: "
        + ", ".join(f"{k} `{v.voice}` {v.speed} wpm" for k, v in SCRIPTS.items())
        + " (espeak-ng; `mb-*` are MBROLA voices).", "",
        "## Speed (audio-seconds per second, higher is better)", "", *speed, "",
        "## Translation route on synthetic speech (reported set)", "",
        f"Key words found: mean share {np.mean(shares):.2f}; text-model label of the translated sentence "
        f"equal to the label of the English original: {agree}/{total}.", "", *quality, "",
        "## Tuning set (voices, rate and beam were chosen on these sentences)", "", *tuning, "",
        "## Notes", "",
        "- Synthetic speech is far from broadcast speech; real speech is not measured here "
        "(no native emotion-labelled data ships in a registry package). espeak-ng's own Dutch "
        "and French voices are misheard by base (Dutch detected as Latin, no key words), "
        "hence the MBROLA voices (devtools/speech_scripts.py).",
        "- English keeps tiny.en: the service sends English speech to it (detected by base).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    return report_main(parser, argv, run, REPORT)


if __name__ == "__main__":
    sys.exit(main())
