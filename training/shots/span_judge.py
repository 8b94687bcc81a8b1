"""Train the cascade's span judge on composed videos of training footage only.

    python -m training.shots.span_judge [--out gateway/shots/span_judge.npz]

Stage 1 up to the judge (``scored_candidates``: the shipped gradual scorer) runs on composed videos of the training
footage (``devtools.shot_families``: the music video's frames before ``SOURCE_SPLIT``, as for
the scorer), other draws than the scorer's own (its videos are the ones it fits best, so its
spans there are cleaner than anywhere else): the nine training families again with seeds
+100, and six more draws of the two camera families, where most false spans are. Every span
the scorer makes (sure or uncertain) is a row of ``gateway.shots.span_judge.span_features``,
labelled 1 when it overlaps a dissolve or fade (within 2 frames). A histogram gradient boosting
ensemble (sklearn, fixed seed) is fitted and saved as plain arrays for
``gateway.shots.span_judge``; the command checks that those give sklearn's probabilities and
prints the figures of models/cards/span_judge.md (fitting counts, and in five-fold
cross-validation by video what the shipped level would drop).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from devtools.shot_families import Family, FamilyVideo, family_videos
from gateway.shots.cascade import CascadeParams, scored_candidates
from gateway.shots.span_judge import WEIGHTS, SpanJudge, span_rows
from training.shots.gradual import FAMILIES as SCORER_FAMILIES

SEED = 0
TREES, DEPTH, RATE = 200, 3, 0.05
FAMILIES: tuple[Family, ...] = (
    *(replace(f, name=f.name.replace("train-", "train2-"), seed=f.seed + 100) for f in SCORER_FAMILIES),
    *(
        replace(f, name=f.name.replace("train-", f"train{draw + 1}-"), seed=f.seed + 100 * draw)
        for draw in range(2, 8)
        for f in SCORER_FAMILIES
        if f.moves
    ),
)


def rows(video: FamilyVideo) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels (1: on a dissolve or fade) of every span stage 1 makes on ``video``, before the judge."""
    found, features, probs = scored_candidates(video.frames, CascadeParams())
    spans = found.gradual + found.fades
    gradual = [t for t in video.transitions if t.kind == "gradual"]
    labels = [int(any(s.first <= t.last + 2 and s.last >= t.first - 2 for t in gradual)) for s in spans]
    return span_rows(spans, found.frames, found.delta, probs, features), np.array(labels, np.int8)


def fit(x: np.ndarray, y: np.ndarray) -> HistGradientBoostingClassifier:
    model = HistGradientBoostingClassifier(
        max_depth=DEPTH, learning_rate=RATE, max_iter=TREES, early_stopping=False, random_state=SEED
    )
    return model.fit(x, y)


def save(path: Path, model: HistGradientBoostingClassifier) -> None:
    """The fitted trees as padded node arrays (``SpanJudge``). sklearn keeps them in ``_predictors``; the
    command checks the saved judge against ``predict_proba``, so a change there fails loudly."""
    nodes = [tree.nodes for (tree,) in model._predictors]
    width = max(len(n) for n in nodes)

    def padded(name: str, dtype: type) -> np.ndarray:
        out: np.ndarray = np.zeros((len(nodes), width), dtype)
        for i, n in enumerate(nodes):
            out[i, : len(n)] = n[name]
        return out

    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path, feature=padded("feature_idx", np.int32), threshold=padded("num_threshold", np.float32),
        left=padded("left", np.int32), right=padded("right", np.int32), value=padded("value", np.float32),
        leaf=padded("is_leaf", bool), base=np.float32(model._baseline_prediction.ravel()[0]),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--level", type=float, default=CascadeParams().judge_drop, help="dropping level to report")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    groups: list[str] = []
    for family in FAMILIES:
        for number, video in enumerate(family_videos(family)):
            features, labels = rows(video)
            xs.append(features)
            ys.append(labels)
            groups += [f"{family.name}-{number}"] * len(labels)
    videos, x, y = len(xs), np.concatenate(xs), np.concatenate(ys)
    print(f"{videos} videos, {len(y)} spans: {int(y.sum())} on a dissolve or fade, {int((y == 0).sum())} not", flush=True)
    model = fit(x, y)
    save(args.out, model)
    gap = np.abs(SpanJudge.load(args.out).probabilities(x) - model.predict_proba(x)[:, 1]).max()
    if gap > 1e-4:
        raise SystemExit(f"saved judge differs from sklearn's by {gap:.2g}")
    crossed = np.zeros(len(y))
    for train, test in GroupKFold(5).split(x, y, groups):
        crossed[test] = fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    dropped = crossed < args.level
    print(f"five-fold by video, below {args.level}: {int((dropped & (y == 0)).sum())} of {int((y == 0).sum())} "
          f"false spans, {int((dropped & (y == 1)).sum())} of {int(y.sum())} true ones")
    print(f"saved {args.out} (largest difference from sklearn {gap:.1g}; {time.perf_counter() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
