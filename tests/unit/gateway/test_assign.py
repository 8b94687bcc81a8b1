"""Assignment of subtitle lines to shots (whole video and streamed): whole lines, across cuts too."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import pytest

from gateway.assign import Line, LineAssigner, assign_lines
from gateway.subtitles import Cue


@dataclass(frozen=True)
class Span:
    start_s: float
    end_s: float


SHOTS = [Span(0.0, 4.0), Span(4.0, 10.0), Span(10.0, 12.0)]


def texts(per_shot: list[list[Line]]) -> list[list[str]]:
    return [[line.text for line in lines] for lines in per_shot]


def shares(per_shot: list[list[Line]]) -> list[list[float]]:
    return [[round(line.share, 3) for line in lines] for lines in per_shot]


def test_lines_inside_a_shot_go_there_whole() -> None:
    cues = [Cue(0.5, 2.0, "hello there"), Cue(5.0, 6.0, "middle"), Cue(10.5, 11.0, "end")]
    lines = assign_lines(cues, SHOTS)
    assert texts(lines) == [["hello there"], ["middle"], ["end"]] and shares(lines) == [[1.0], [1.0], [1.0]]


def test_a_line_across_a_cut_goes_whole_to_both_shots_by_overlap_time() -> None:
    # 3 s in shot 0, 1 s in shot 1: both shots get the whole sentence, with 3/4 and 1/4 of its weight.
    line = "one two three four five six seven eight"
    lines = assign_lines([Cue(1.0, 5.0, line)], SHOTS)
    assert texts(lines) == [[line], [line], []] and shares(lines) == [[0.75], [0.25], []]
    assert lines[0][0].key == lines[1][0].key  # one line: classified once


def test_a_line_across_three_shots() -> None:
    lines = assign_lines([Cue(3.0, 11.0, "a b c d e f g h")], SHOTS)  # 1 s, 6 s, 1 s
    assert texts(lines) == [["a b c d e f g h"]] * 3 and shares(lines) == [[0.125], [0.75], [0.125]]


def test_an_overlap_shorter_than_timing_jitter_does_not_count() -> None:
    lines = assign_lines([Cue(3.95, 8.0, "short line")], SHOTS)  # 0.05 s in shot 0
    assert texts(lines) == [[], ["short line"], []] and shares(lines) == [[], [1.0], []]
    lines = assign_lines([Cue(3.95, 4.02, "blink")], SHOTS)  # shorter than the jitter on both sides: the longer
    assert texts(lines) == [["blink"], [], []]


def test_lines_outside_every_shot_and_zero_length_lines() -> None:
    cues = [Cue(20.0, 21.0, "after the end"), Cue(4.0, 4.0, "instant"), Cue(11.0, 14.0, "runs past the end")]
    lines = assign_lines(cues, SHOTS)
    assert texts(lines) == [[], ["instant"], ["runs past the end"]] and shares(lines) == [[], [1.0], [1.0]]


def test_lines_keep_their_time_order_per_shot() -> None:
    cues = [Cue(0.0, 1.0, "first"), Cue(1.0, 2.0, "second")]
    assert texts(assign_lines(cues, SHOTS))[0] == ["first", "second"]


class CountingShots(Sequence[Span]):
    """Shots that count how often they are looked at."""

    def __init__(self, shots: list[Span]) -> None:
        self.shots = shots
        self.reads = 0

    def __len__(self) -> int:
        return len(self.shots)

    @overload
    def __getitem__(self, index: int) -> Span: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Span]: ...

    def __getitem__(self, index: int | slice) -> Span | Sequence[Span]:
        self.reads += 1
        return self.shots[index]


def test_assignment_is_one_merge_pass_not_cues_times_shots() -> None:
    shots = CountingShots([Span(float(i), float(i + 1)) for i in range(2000)])
    cues = [Cue(i + 0.25, i + 0.5, f"line {i}") for i in range(2000)]
    lines = assign_lines(cues, shots)
    assert texts(lines)[7] == ["line 7"] and all(len(per_shot) == 1 for per_shot in lines)
    # A pass over both lists reads each shot a few times; cues x shots would be 4 million.
    assert shots.reads <= 4 * (len(cues) + len(shots))


@pytest.mark.parametrize("seed", range(30))
def test_streamed_assignment_gives_the_lines_of_the_whole_video(seed: int) -> None:
    rng = np.random.default_rng(seed)
    edges = np.unique(np.round(np.concatenate([[0.0], np.cumsum(rng.uniform(0.2, 6.0, int(rng.integers(1, 25))))]), 2))
    shots = [Span(float(a), float(b)) for a, b in itertools.pairwise(edges)]
    starts = np.sort(rng.uniform(0, edges[-1] + 3, int(rng.integers(0, 30))))
    cues = [Cue(float(s), float(s + rng.choice([0.0, rng.uniform(0.1, 9.0)])), f"w{i} x{i} y{i} z{i}")
            for i, s in enumerate(np.round(starts, 2))]
    expected = assign_lines(cues, shots)

    chunk = float(rng.choice([2.0, 5.0, 1000.0]))  # transcription chunks: cues arrive per chunk
    assigner, got, added, known = LineAssigner(), {}, 0, 0.0
    while len(got) < len(shots):
        if rng.random() < 0.5 and added < len(shots):
            assigner.add_shots(shots[added : added + 1])
            added += 1
        elif known < edges[-1] + 3:
            ready = [c for c in cues if known <= c.start_s < known + chunk]
            known += chunk
            assigner.add_cues(ready, known)
        else:
            assigner.add_shots(shots[added:])
            added = len(shots)
        finished = added == len(shots) and known >= edges[-1] + 3
        for index, lines in assigner.ready(finished=finished):
            assert index not in got
            got[index] = lines
    assert [got[i] for i in range(len(shots))] == expected
