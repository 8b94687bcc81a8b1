"""gateway.shots.timeline: boundaries -> shots, minimum/maximum shot length, frame times."""

from __future__ import annotations

import numpy as np
import pytest

from gateway.shots.base import Boundary, Shot
from gateway.shots.timeline import build_shots

FPS = 25.0


def spans(shots: list[Shot]) -> list[tuple[int, int, str]]:
    return [(s.start_frame, s.end_frame, s.transition) for s in shots]


def test_shots_tile_the_video_with_inclusive_end_frames() -> None:
    bounds = [Boundary.cut(100, 0.9), Boundary(200, "gradual", 0.6, 194, 206)]
    shots = build_shots(bounds, 300, FPS)
    assert spans(shots) == [(0, 99, "start"), (100, 199, "cut"), (200, 299, "gradual")]
    assert [(s.start_s, s.end_s) for s in shots] == [(0.0, 4.0), (4.0, 8.0), (8.0, 12.0)]
    assert [s.index for s in shots] == [0, 1, 2]
    assert shots[1].confidence == 0.9 and shots[0].confidence == 1.0


def test_no_boundary_is_one_shot_and_empty_video_none() -> None:
    assert spans(build_shots([], 50, FPS)) == [(0, 49, "start")]
    assert build_shots([], 0, FPS) == []


def test_duplicates_and_out_of_range_boundaries_are_ignored() -> None:
    bounds = [Boundary.cut(0, 1.0), Boundary.cut(60, 0.8), Boundary.cut(60, 0.8), Boundary.cut(90, 1.0)]
    assert spans(build_shots(bounds, 90, FPS)) == [(0, 59, "start"), (60, 89, "cut")]


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        # a 5-frame shot in the middle joins the side of its weaker boundary
        ([Boundary.cut(50, 0.9), Boundary.cut(55, 0.4)], [(0, 49, "start"), (50, 99, "cut")]),
        ([Boundary.cut(50, 0.3), Boundary.cut(55, 0.8)], [(0, 54, "start"), (55, 99, "cut")]),
        # a short first or last shot joins its only neighbour
        ([Boundary.cut(4, 0.9)], [(0, 99, "start")]),
        ([Boundary.cut(96, 0.9)], [(0, 99, "start")]),
    ],
)
def test_short_shots_are_merged(bounds: list[Boundary], expected: list[tuple[int, int, str]]) -> None:
    assert spans(build_shots(bounds, 100, FPS, min_shot_s=0.5)) == expected


def test_long_takes_are_split_evenly() -> None:
    shots = build_shots([Boundary.cut(100, 0.9)], 1100, FPS, max_shot_s=10.0)  # 250 frames at most
    assert spans(shots) == [
        (0, 99, "start"),
        (100, 349, "cut"),
        (350, 599, "split"),
        (600, 849, "split"),
        (850, 1099, "split"),
    ]
    assert all(s.frame_count <= 250 for s in shots)
    assert shots[2].confidence == 0.0


def test_timestamps_give_times_for_variable_frame_rate() -> None:
    times = np.array([0.0, 0.04, 0.08, 0.5, 1.0, 1.5])
    shots = build_shots([Boundary.cut(3, 0.9)], 6, 10.0, timestamps=times, min_shot_s=0.0)
    assert [(s.start_s, s.end_s) for s in shots] == [(0.0, 0.5), (0.5, 2.0)]  # last frame lasts as the gap before it
