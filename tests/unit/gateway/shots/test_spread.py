"""gateway.shots.spread: a short shot between two transitions is kept when its frames are a picture of their own."""

from __future__ import annotations

import itertools

import numpy as np

from gateway.shots.base import Boundary
from gateway.shots.spread import spread
from gateway.shots.timeline import build_shots

FPS = 25.0
MIN = 10  # frames: the timeline's 0.4 s at 25 fps
LEVEL = 0.5


def pictures(count: int, seed: int = 3) -> list[np.ndarray]:
    """Unrelated 48x27 pictures (blocky random colours, as a thumbnail sees them)."""
    rng = np.random.default_rng(seed)
    return [np.kron(rng.integers(0, 256, (9, 16, 3)), np.ones((3, 3, 1))).astype(np.float32) for _ in range(count)]


def dissolves(shots: list[tuple[np.ndarray, int]], length: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Frames of shots (picture, frames) joined by linear dissolves of ``length`` frames; their spans."""
    frames, joins = [np.repeat(shots[0][0][None], shots[0][1], axis=0)], []
    at = shots[0][1]
    for (before, _), (after, count) in itertools.pairwise(shots):
        mix = np.linspace(0, 1, length + 2)[1:-1, None, None, None]
        frames += [before[None] * (1 - mix) + after[None] * mix, np.repeat(after[None], count, axis=0)]
        joins.append((at, at + length - 1))
        at += length + count
    return np.concatenate(frames).round().astype(np.uint8), joins


def gradual(span: tuple[int, int], frame: int) -> Boundary:
    return Boundary(frame, "gradual", 0.9, span[0], span[1])


def starts(bounds: list[Boundary], count: int) -> list[int]:
    return [s.start_frame for s in build_shots(bounds, count, FPS)]


def test_a_short_shot_between_two_dissolves_is_kept_with_its_boundaries_inside_them() -> None:
    a, b, c = pictures(3)
    frames, (first, second) = dissolves([(a, 30), (b, 2), (c, 30)], 6)  # B alone on 2 frames: 30-35, 38-43
    found = [gradual(first, 34), gradual(second, 39)]  # 5 frames apart: the timeline would merge B away
    assert starts(found, len(frames)) == [0, 34]
    moved = spread(found, frames, MIN, LEVEL)
    assert [b.frame for b in moved] == [first[0], first[0] + MIN]  # B from where it appears, 10 frames
    assert all(b.first <= b.frame <= b.last for b in moved)
    assert starts(moved, len(frames)) == [0, first[0], first[0] + MIN]


def test_one_dissolve_found_twice_is_left_to_the_timeline() -> None:
    a, c = pictures(2)
    frames, ((start, end),) = dissolves([(a, 30), (c, 30)], 16)  # one 16-frame dissolve, 30-45
    twice = [gradual((start, start + 6), start + 5), gradual((start + 9, end), start + 11)]  # its middle: a blend
    assert spread(twice, frames, MIN, LEVEL) == twice
    assert len(starts(twice, len(frames))) == 2  # merged into one boundary


def test_no_neighbour_is_left_shorter_than_the_minimum() -> None:
    a, b, c, d = pictures(4)
    frames, (_, first, second) = dissolves([(a, 20), (b, 12), (c, 2), (d, 30)], 8)  # 40-47 and 50-57
    # a boundary 10 frames before the first dissolve's: moving that one back would shorten the shot before it
    found = [Boundary.cut(first[1] - 10, 0.9), gradual(first, first[1]), gradual(second, second[0])]
    moved = spread(found, frames, MIN, LEVEL)
    assert moved[:2] == found[:2]
    assert moved[2].frame == first[1] + MIN == second[1]  # only the second moved, to its dissolve's last frame
    assert starts(moved, len(frames)) == [0, 37, 47, 57]


def test_in_a_stream_block_nothing_moves_near_its_edges() -> None:
    a, b, c = pictures(3)
    frames, (first, second) = dissolves([(a, 30), (b, 2), (c, 30)], 6)
    found = [gradual(first, 34), gradual(second, 39)]
    assert spread(found, frames, MIN, LEVEL, keep=(25, len(frames))) == found  # the shot before may lie in the context
    assert spread(found, frames, MIN, LEVEL, keep=(0, len(frames))) != found
