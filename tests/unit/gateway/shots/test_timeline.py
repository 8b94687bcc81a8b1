"""gateway.shots.timeline: boundaries -> shots, minimum/maximum shot length, frame times."""

from __future__ import annotations

import numpy as np
import pytest

from gateway.shots.base import Boundary, Shot
from gateway.shots.timeline import ShotTimeline, build_shots

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


def test_quick_cutting_keeps_its_short_shots_by_default() -> None:
    # two cuts 11 frames apart (0.44 s at 25 fps: a quick cut in a music video, the shot between two
    # dense dissolves) are two boundaries; a double detection 7 frames apart (0.28 s) is one
    quick = [Boundary.cut(100, 0.9), Boundary.cut(111, 0.8)]
    assert spans(build_shots(quick, 200, FPS)) == [(0, 99, "start"), (100, 110, "cut"), (111, 199, "cut")]
    double = [Boundary.cut(100, 0.9), Boundary.cut(107, 0.4)]
    assert spans(build_shots(double, 200, FPS)) == [(0, 99, "start"), (100, 199, "cut")]


def test_a_dissolve_close_to_a_cut_moves_inside_its_span_to_keep_both() -> None:
    # a 4-frame dissolve (345-348) whose span the detector found as 345-352, its boundary at 351, and a
    # cut at 360: 9 frames apart, under the 0.4 s minimum (10 frames); the dissolve's boundary may be any
    # frame of its span, the cut's may not, so the dissolve moves to 350 and both shots stay
    bounds = [Boundary(351, "gradual", 1.0, 345, 352), Boundary.cut(360, 0.65)]
    assert spans(build_shots(bounds, 500, FPS)) == [(0, 349, "start"), (350, 359, "gradual"), (360, 499, "cut")]
    after = [Boundary.cut(100, 0.65), Boundary(104, "gradual", 1.0, 104, 116)]  # a dissolve after the cut
    assert spans(build_shots(after, 500, FPS)) == [(0, 99, "start"), (100, 109, "cut"), (110, 499, "gradual")]


@pytest.mark.parametrize(
    "bounds",
    [
        [Boundary(351, "gradual", 1.0, 345, 357), Boundary.cut(360, 0.65)],  # cut 3 frames from the span: its own step
        [Boundary(351, "gradual", 1.0, 351, 352), Boundary.cut(360, 0.65)],  # the span cannot reach frame 350
        [Boundary.cut(341, 0.9), Boundary(351, "gradual", 1.0, 345, 352), Boundary.cut(360, 0.65)],  # no room before
        [Boundary(351, "gradual", 1.0, 345, 352), Boundary(360, "gradual", 0.9, 357, 364)],  # one dissolve, found twice
        # a cut under even odds beside a dissolve (a model cut at 0.42, 8 frames before the head's boundary, as in a
        # tuning camera video: the dissolve's own step): left to the merge
        [Boundary.cut(389, 0.42), Boundary(397, "gradual", 1.0, 394, 400)],
    ],
)
def test_a_boundary_moves_only_where_it_makes_room_for_two_transitions(bounds: list[Boundary]) -> None:
    kept = [s.start_frame for s in build_shots(bounds, 500, FPS)[1:]]
    assert len(kept) == len(bounds) - 1 and set(kept) <= {b.frame for b in bounds}


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


@pytest.mark.parametrize("seed", range(40))
def test_streamed_timeline_gives_the_same_shots_as_the_whole_video(seed: int) -> None:
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 900))
    fps = float(rng.choice([10.0, 25.0, 29.97]))
    limits = {"min_shot_s": float(rng.choice([0.2, 0.5, 2.0])), "max_shot_s": float(rng.choice([3.0, 10.0, 120.0]))}
    frames = np.unique(rng.integers(1, max(2, count), int(rng.integers(0, 60))))
    bounds = [  # cuts, and dissolves whose spans reach up to 15 frames to either side
        Boundary.cut(int(f), float(rng.random()))
        if rng.random() < 0.5
        else Boundary(int(f), "gradual", float(rng.random()), int(f - rng.integers(0, 16)), int(f + rng.integers(0, 16)))
        for f in frames
    ]
    times = np.cumsum(rng.uniform(0.02, 0.2, count)) - 0.05
    expected = build_shots(bounds, count, fps, timestamps=times, **limits)

    timeline = ShotTimeline(fps, **limits)
    got, settled = [], 0
    while settled < count:  # the detector settles the video in steps of random length
        step = int(rng.integers(1, 120))
        timeline.add_times(times[settled : settled + step])
        settled = min(count, settled + step)
        got += timeline.push([b for b in bounds if settled - step <= b.frame < settled], settled)
    got += timeline.finish()
    assert got == expected


def test_a_shot_is_final_once_the_detector_is_past_its_end() -> None:
    timeline = ShotTimeline(FPS, min_shot_s=0.5)
    timeline.add_times(np.arange(1000) / FPS)
    first = timeline.push([Boundary.cut(100, 0.9), Boundary.cut(200, 0.9)], 210)  # a shot may start at 211
    assert spans(first) == [(0, 99, "start")]
    assert spans(timeline.push([], 205)) == []  # 200..204 could still be merged
    assert spans(timeline.push([Boundary.cut(300, 0.9)], 330)) == [(100, 199, "cut"), (200, 299, "cut")]
    assert spans(timeline.finish()) == [(300, 999, "cut")]
