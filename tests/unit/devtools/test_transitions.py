"""Composed clips put every transition where they say, with the frames a viewer would see there."""

from __future__ import annotations

import numpy as np
import pytest

from devtools.transitions import Join, camera_move, flash, join, light_change, picture_box
from devtools.video import Transition


def _piece(value: int, count: int) -> np.ndarray:
    return np.full((count, 4, 6, 3), value, np.uint8)


def test_cut_dissolve_and_fade_land_where_recorded() -> None:
    pieces = [_piece(200, 20), _piece(100, 20), _piece(50, 20), _piece(150, 20)]
    clip, transitions = join(pieces, [Join("cut"), Join("dissolve", 5), Join("fade", 4, 2)])
    assert transitions == [
        Transition("cut", 20, 20),
        Transition("gradual", 35, 39),
        Transition("gradual", 51, 60),
    ]
    assert len(clip) == 80 - 5 + 2  # a dissolve overlaps its pieces, a fade plays them in turn, black adds
    values = clip[:, 0, 0, 0].astype(int)
    assert values[19] == 200 and values[20] == 100 and values[34] == 100 and values[40] == 50
    assert list(values[35:40]) == sorted(values[35:40], reverse=True)  # 100 -> 50, strictly between
    assert 50 < values[35] < 100 and 50 < values[39] < 100
    assert list(values[55:57]) == [0, 0]  # the black frames
    assert 0 < values[51] < 50 and 0 < values[60] < 150 and values[61] == 150


def test_flash_brightens_only_the_chosen_frames() -> None:
    frames = _piece(100, 10)
    lit = flash(frames, 3, [0.8, 0.4])
    assert list(lit[:, 0, 0, 0]) == [100] * 3 + [224, 162] + [100] * 5
    assert (frames == 100).all()  # the input is untouched


@pytest.mark.parametrize(
    "how, error",
    [(Join("dissolve", 10), "does not fit"), (Join("fade", 12), "does not fit")],
)
def test_transition_longer_than_a_piece_is_refused(how: Join, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        join([_piece(10, 10), _piece(20, 30)], [how])


@pytest.mark.parametrize(
    "kind, frames, black, side",
    [("swirl", 3, 0, 0), ("cut", 3, 0, 0), ("dissolve", 0, 0, 0), ("dissolve", 4, 2, 0), ("wipe", 4, 2, 0),
     ("wipe", 4, 0, 4), ("dissolve", 4, 0, 1)],
)
def test_inconsistent_join_is_refused(kind: str, frames: int, black: int, side: int) -> None:
    with pytest.raises(ValueError):
        Join(kind, frames, black, side)


def test_a_dip_to_white_passes_through_white_where_recorded() -> None:
    clip, transitions = join([_piece(100, 20), _piece(50, 20)], [Join("white", 4, 2)])
    assert transitions == [Transition("gradual", 16, 25)]
    values = clip[:, 0, 0, 0].astype(int)
    assert values[15] == 100 and list(values[20:22]) == [255, 255] and values[26] == 50
    assert list(values[16:20]) == sorted(values[16:20]) and 100 < values[16] < 255  # brightening to white
    assert list(values[22:26]) == sorted(values[22:26], reverse=True) and 50 < values[25] < 255


@pytest.mark.parametrize("side", [0, 1, 2, 3])
def test_a_wipe_sweeps_the_next_shot_in_from_its_side(side: int) -> None:
    clip, transitions = join([_piece(200, 20), _piece(100, 20)], [Join("wipe", 3, side=side)])
    assert transitions == [Transition("gradual", 17, 19)]
    assert (clip[16] == 200).all() and (clip[20] == 100).all()
    covered = [(clip[i, ..., 0] == 100).mean() for i in range(17, 20)]
    assert 0 < covered[0] < covered[1] < covered[2] < 1  # a growing part of the frame: the next shot
    first = clip[17, ..., 0]
    edge = {0: first[:, 0], 1: first[:, -1], 2: first[0], 3: first[-1]}[side]
    assert (edge == 100).all()  # it enters from that side


def _scene(count: int) -> np.ndarray:
    """A still picture with detail everywhere (a horizontal and a vertical ramp)."""
    y, x = np.mgrid[0:36, 0:64]
    image = np.stack([x * 4, y * 7, (x + y) * 2], axis=-1).astype(np.uint8)
    return np.repeat(image[None], count, axis=0)


def test_camera_move_zooms_in_steadily_then_holds_the_view() -> None:
    frames = _scene(40)
    moved = camera_move(frames, 10, 12, zoom=0.6, shift=(0.5, -0.5))
    np.testing.assert_array_equal(moved[:10], frames[:10])
    changes = np.abs(np.diff(moved.astype(int), axis=0)).mean(axis=(1, 2, 3))
    assert (changes[9:21] > 0).all()  # every frame of the move differs from the one before ...
    assert changes[9:21].max() < 4 * changes[9:21].min()  # ... by a steady amount, no jump
    assert (moved[22:] == moved[21]).all()  # then the view holds
    assert abs(int(moved[21, :, :, 0].max()) - int(moved[21, :, :, 0].min())) < 0.7 * 63 * 4  # zoomed in


def test_camera_move_leaves_letterbox_bars_where_they_are() -> None:
    frames = np.zeros((30, 36, 80, 3), np.uint8)
    frames[:, :, 8:72] = _scene(30)  # a 64-wide picture between black bars, as a 4:3 video shown at 16:9
    assert picture_box(frames) == (0, 36, 8, 72)
    moved = camera_move(frames, 5, 10, zoom=0.6, shift=(1.0, 0.0))
    assert not moved[:, :, :8].any() and not moved[:, :, 72:].any()  # the bars neither move nor brighten
    assert (moved[20, :, 8:72] != frames[20, :, 8:72]).any()  # the picture between them did move


def test_light_change_reaches_its_gain_and_keeps_it() -> None:
    frames = _piece(100, 30)
    dimmed = light_change(frames, 5, 10, 0.5)
    values = dimmed[:, 0, 0, 0].astype(int)
    assert list(values[:5]) == [100] * 5
    assert list(values[5:15]) == sorted(values[5:15], reverse=True) and values[5] < 100
    assert list(values[14:]) == [50] * 16
    assert light_change(frames, 0, 4, 3.0).max() == 255  # brighter clips at white
