"""Transitions and look-alikes for composed clips: cuts, dissolves, fades, wipes; flashes, camera moves, light changes.

``join`` lays pieces of real footage end to end with a chosen transition between
each pair and records, frame-exactly, where every transition lands (the ground
truth a detector is scored against):
- ``Join("cut")``: the incoming piece starts on the next frame;
- ``Join("dissolve", n)``: an ``n``-frame linear cross-fade (``devtools.video.dissolve``);
- ``Join("fade", n, black)``: the outgoing piece fades to black over ``n`` frames,
  ``black`` frames of black follow, then the incoming one fades in over ``n`` frames;
- ``Join("white", n, flat)``: the same through white (a dip to white; ``flat`` white frames);
- ``Join("wipe", n, side=s)``: over ``n`` frames a straight edge sweeps the incoming
  piece across the outgoing one, from the left, right, top or bottom (``side`` 0-3).
``compose`` is ``join`` with cuts and dissolves given as dissolve lengths (0 = cut).
``flash`` brightens a few frames of one piece (a photographer's flash, an explosion):
the picture changes violently but the shot goes on, so it is *not* a transition.
``camera_move`` zooms and pans over some frames (the picture slides and scales
steadily, as a dissolve changes it steadily; letterbox bars stay put) and ``light_change`` dims or brightens
the picture over some frames (as a fade to a colour would): both are look-alikes
of gradual transitions inside one shot. Fast motion needs no helper: a piece read at
several times its speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from devtools.video import Transition, dissolve

KINDS = ("cut", "dissolve", "fade", "white", "wipe")
FADES = {"fade": 0, "white": 255}  # the level a fade passes through
SIDES = 4  # a wipe enters from the left, right, top or bottom


@dataclass(frozen=True)
class Join:
    kind: str  # one of KINDS
    frames: int = 0  # dissolve or wipe length, or each half of a fade
    black: int = 0  # fade: frames at its level (black, or white) between fade-out and fade-in
    side: int = 0  # wipe: where the incoming picture enters (0 left, 1 right, 2 top, 3 bottom)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown transition {self.kind!r}")
        if (self.kind == "cut") != (self.frames == 0) or self.black < 0 or (self.black and self.kind not in FADES):
            raise ValueError(f"inconsistent transition {self}")
        if not 0 <= self.side < SIDES or (self.side and self.kind != "wipe"):
            raise ValueError(f"inconsistent transition {self}")


def _ramp(frames: np.ndarray, start: float, stop: float, level: int = 0) -> np.ndarray:
    """Frames mixed with a flat ``level`` by a weight going linearly from ``start`` to ``stop`` (both ends
    excluded; weight 1 is the frame itself)."""
    gain = np.linspace(start, stop, len(frames) + 2, dtype=np.float32)[1:-1].reshape(-1, 1, 1, 1)
    return np.rint(frames.astype(np.float32) * gain + level * (1.0 - gain)).astype(np.uint8)


def wipe(outgoing: np.ndarray, incoming: np.ndarray, side: int) -> np.ndarray:
    """``incoming`` swept over ``outgoing`` (equal lengths) by a straight edge from ``side``; no frame
    is all of either."""
    count, height, width = outgoing.shape[:3]
    extent = width if side < 2 else height
    out = outgoing.copy()
    for i in range(count):
        edge = max(1, min(extent - 1, round(extent * (i + 1) / (count + 1))))
        covered = slice(0, edge) if side in (0, 2) else slice(extent - edge, extent)
        if side < 2:
            out[i][:, covered] = incoming[i][:, covered]
        else:
            out[i][covered] = incoming[i][covered]
    return out


def join(pieces: Sequence[np.ndarray], joins: Sequence[Join]) -> tuple[np.ndarray, list[Transition]]:
    """Pieces in order with ``joins[i]`` between piece i and i+1; the clip and its transitions.

    Dissolves and fades take their frames from the pieces' ends (the clip is shorter
    than the pieces by what they overlap), fades add their black frames. A gradual
    transition spans every frame that belongs to neither shot alone; each piece must
    keep at least one frame of its own.
    """
    if len(joins) != len(pieces) - 1:
        raise ValueError("one join between each pair of pieces")
    out = [pieces[0]]
    transitions = []
    length = len(pieces[0])
    for piece, how in zip(pieces[1:], joins, strict=True):
        n = how.frames
        if n >= min(len(out[-1]), len(piece)):
            raise ValueError(f"{how} does not fit pieces of {len(out[-1])} and {len(piece)} frames")
        if how.kind == "cut":
            out.append(piece)
            transitions.append(Transition("cut", length, length))
            length += len(piece)
            continue
        tail, out[-1] = out[-1][len(out[-1]) - n :], out[-1][: len(out[-1]) - n]
        if how.kind == "dissolve":
            middle = dissolve(tail, piece[:n])
        elif how.kind == "wipe":
            middle = wipe(tail, piece[:n], how.side)
        else:
            level = FADES[how.kind]
            flat = np.full((how.black, *piece.shape[1:]), level, np.uint8)
            middle = np.concatenate([_ramp(tail, 1.0, 0.0, level), flat, _ramp(piece[:n], 0.0, 1.0, level)])
        first = length - n
        out += [middle, piece[n:]]
        transitions.append(Transition("gradual", first, first + len(middle) - 1))
        length += len(middle) - n + len(piece) - n
    return np.concatenate(out), transitions


def compose(pieces: Sequence[np.ndarray], dissolves: Sequence[int]) -> tuple[np.ndarray, list[Transition]]:
    """``join`` with hard cuts and linear dissolves only: ``dissolves[i]`` frames between piece i and
    i+1 (0 = cut)."""
    return join(pieces, [Join("dissolve", n) if n else Join("cut") for n in dissolves])


def flash(frames: np.ndarray, at: int, gains: Sequence[float]) -> np.ndarray:
    """A copy of ``frames`` with frames ``at, at+1, ...`` pushed toward white by ``gains`` (0..1)."""
    out = frames.copy()
    for offset, gain in enumerate(gains):
        image = out[at + offset].astype(np.float32)
        out[at + offset] = np.rint(image + (255.0 - image) * gain).astype(np.uint8)
    return out


def picture_box(frames: np.ndarray, black: float = 24.0) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), exclusive ends: the part of the frame that is ever brighter than
    ``black`` in ``frames`` ([N, H, W, 3]); letterbox or pillarbox bars around it are left out."""
    bright = frames.max(axis=(0, 3)) > black  # [H, W]
    rows, cols = np.flatnonzero(bright.any(axis=1)), np.flatnonzero(bright.any(axis=0))
    if not len(rows):
        return 0, frames.shape[1], 0, frames.shape[2]
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def camera_move(frames: np.ndarray, at: int, count: int, zoom: float, shift: tuple[float, float]) -> np.ndarray:
    """A copy of ``frames`` seen through a camera that, over frames ``at .. at+count-1``, zooms in
    to ``zoom`` (0..1: the share of the picture still in view) and pans by ``shift`` (x, y, as shares
    of the room left to move, -1..1), then holds that view to the end of the piece. Only the picture
    moves: letterbox or pillarbox bars (``picture_box``), added after the camera, stay where they are."""
    top, bottom, left, right = picture_box(frames)
    height, width = bottom - top, right - left
    out = frames.copy()
    for index in range(at, len(frames)):
        progress = min(1.0, (index - at + 1) / count)
        scale = 1.0 - (1.0 - zoom) * progress
        view_w, view_h = width * scale, height * scale
        x = (width - view_w) / 2 * (1.0 + shift[0] * progress)
        y = (height - view_h) / 2 * (1.0 + shift[1] * progress)
        # crop and rescale in one affine warp: sub-pixel steps move the picture smoothly
        matrix = np.array([[1 / scale, 0, -x / scale], [0, 1 / scale, -y / scale]], np.float32)
        picture = np.ascontiguousarray(frames[index, top:bottom, left:right])
        out[index, top:bottom, left:right] = cv2.warpAffine(
            picture, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out


def light_change(frames: np.ndarray, at: int, count: int, gain: float) -> np.ndarray:
    """A copy of ``frames`` whose brightness goes from 1 to ``gain`` times over frames
    ``at .. at+count-1`` and stays there to the end of the piece (a light switched, a cloud)."""
    gains = np.ones(len(frames), np.float32)
    gains[at : at + count] = np.linspace(1.0, gain, count + 1, dtype=np.float32)[1:]
    gains[at + count :] = gain
    return np.clip(np.rint(frames.astype(np.float32) * gains.reshape(-1, 1, 1, 1)), 0, 255).astype(np.uint8)
