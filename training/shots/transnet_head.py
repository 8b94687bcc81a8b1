"""Train TransNetV2's ``gradual`` head (the cascade's judge of uncertain dissolves) on training footage only.

    python -m training.shots.transnet_head [--out models/artifacts/transnetv2/gradual_head.npz]

The videos are the gradual scorer's (``training.shots.gradual``: composed from the
music video's frames before ``SOURCE_SPLIT`` only, so no frame of a held-out
family is trained on; tuning families compose other pieces of that part), the last
of each family kept aside. Each video is
read the way the cascade read it in stage 2 when the head was fit (``READS``; ``gateway.shots.packing``:
stretches with 12 frames of context packed into windows, rounded up to 10 frames as for Triton:
in process the cascade sends them unrounded; the padding follows the last stretch's
context, 12 frames or more from any frame read, and the cascade's verdicts on the
tuning families are the same either way), the stretches being what stage 1
would send plus every transition, every look-alike and three random ones, each
with a few frames around it. The frozen network's last hidden layer (1024
activations, ``TransNetV2.hidden``) is taken at every frame read; a logistic
regression (sklearn, lbfgs: deterministic) learns from it whether the frame is
inside a dissolve or fade (labels as the scorer's; look-alike frames weigh
``LOOKALIKE_WEIGHT`` times as much, since those are what the cascade must reject).
The figures it prints (per-frame average precision on the videos kept aside, next
to TransNetV2's own heads) go into models/cards/transnetv2.md. About 8 minutes
here (the network on ~31,000 frames).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from devtools.shot_families import FamilyVideo, family_videos
from gateway.shots import packing
from gateway.shots.cascade import Candidates, CascadeParams, find_candidates, reads
from models.transnetv2 import HEAD, TransNetV2, load_network
from training.shots.gradual import FAMILIES, KEPT_ASIDE, labels

C = 0.1  # inverse L2 strength (chosen with LOOKALIKE_WEIGHT on the tuning families, see the card)
LOOKALIKE_WEIGHT = 3.0
RANDOM_READS = 3  # random 10-frame stretches per video, seeded by its number
# the stage-2 reads the shipped head was fit on: the cascade's candidate level and context before run 16
# (docs/shots.md), which now reads with 0.5 and 10 frames; its tuning figures were measured with this head.
# Nor had stage 1 a span judge then (run 24) or left any cut candidate unread (run 28): both off here, the
# reads stay the ones it was fit on (22,546 labelled frames; with them on, 22,529 and another head)
READS = CascadeParams(gradual_min=0.65, margin=12, judge_drop=0.0, sure_judge=0.0, sure_check=0.0, alone=0)


def stretches(video: FamilyVideo, number: int, found: Candidates, params: CascadeParams) -> list[tuple[int, int]]:
    """What stage 1 sends to the model, plus every transition and look-alike, plus random stretches."""
    out = reads(found, params)
    out += [(t.first - 4, t.last + 5) for t in video.transitions]
    out += [(a - 3, b + 4) for a, b in video.negatives]
    starts = np.random.default_rng(number).integers(0, len(video.frames) - 10, RANDOM_READS)
    return out + [(int(s), int(s) + 10) for s in starts]


def lookalikes(video: FamilyVideo) -> np.ndarray:
    """[N] True inside a look-alike (flash, fast motion, camera move, light change) and no transition."""
    out = np.zeros(len(video.frames), bool)
    for a, b in video.negatives:
        out[max(0, a) : b + 1] = True
    for t in video.transitions:
        out[max(0, t.first - 2) : t.last + 3] = False
    return out


def hidden_states(
    net: TransNetV2, video: FamilyVideo, number: int, params: CascadeParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hidden [R,1024], TransNetV2's own heads [R,2], frame indices [R]) of every frame read."""
    found = find_candidates(video.frames, params)
    frames = found.frames  # flashes painted out, as the model reads them
    count = len(frames)
    hidden, heads, where = [], [], []
    for group in packing.plan(stretches(video, number, found, params), count, params.margin, params.batch_size):
        batch = torch.from_numpy(frames[np.stack([packing.indices(w, count) for w in group])])
        with torch.no_grad():
            h = net.hidden(batch)
            own = torch.cat(net.heads(h)[:2], 2)
        for row, window in enumerate(group):
            for at, a, b in packing.placements(window):
                hidden.append(h[row, at : at + b - a].numpy())
                heads.append(own[row, at : at + b - a].numpy())
                where.append(np.arange(a, b))
    return np.concatenate(hidden), np.concatenate(heads), np.concatenate(where)


def dataset(
    net: TransNetV2, videos: list[tuple[int, FamilyVideo]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(hidden, labels, sample weights, TransNetV2's own heads) of the labelled frames read."""
    params = READS
    xs, ys, ws, owns = [], [], [], []
    for number, video in videos:
        h, own, where = hidden_states(net, video, number, params)
        y, alike = labels(video)[where], lookalikes(video)[where]
        keep = y >= 0
        xs.append(h[keep])
        ys.append(y[keep])
        ws.append(np.where(alike[keep], LOOKALIKE_WEIGHT, 1.0))
        owns.append(own[keep])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ws), np.concatenate(owns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HEAD)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    torch.set_num_threads(2)
    train: list[tuple[int, FamilyVideo]] = []
    aside: list[tuple[int, FamilyVideo]] = []
    number = 0
    for family in FAMILIES:
        videos = family_videos(family)
        for index, video in enumerate(videos):
            (aside if index >= len(videos) - KEPT_ASIDE else train).append((number, video))
            number += 1
    net = load_network(head=None)
    x, y, w, _ = dataset(net, train)
    x_aside, y_aside, _, own_aside = dataset(net, aside)
    print(f"{len(train)} training videos, {len(x)} frames read ({int(y.sum())} inside gradual transitions); "
          f"{len(aside)} kept aside, {len(x_aside)} frames", flush=True)
    model = LogisticRegression(C=C, max_iter=3000).fit(x, y, sample_weight=w)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, weight=model.coef_[0].astype(np.float32), bias=model.intercept_.astype(np.float32))
    head = model.predict_proba(x_aside)[:, 1]
    for name, score in (("single_frame", own_aside[:, 0]), ("many_hot", own_aside[:, 1]), ("gradual head", head)):
        print(f"per-frame average precision kept aside, {name}: {average_precision_score(y_aside, score):.3f}")
    print(f"saved {args.out} ({time.perf_counter() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
