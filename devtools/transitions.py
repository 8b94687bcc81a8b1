"""Transitions and look-alikes for composed clips: cuts, dissolves, fades through black, flashes.

``join`` lays pieces of real footage end to end with a chosen transition between
each pair and records, frame-exactly, where every transition lands (the ground
truth a detector is scored against):
- ``Join("cut")``: the incoming piece starts on the next frame;
- ``Join("dissolve", n)``: an ``n``-frame linear cross-fade (``devtools.video.dissolve``);
- ``Join("fade", n, black)``: the outgoing piece fades to black over ``n`` frames,
  ``black`` frames of black follow, then the incoming one fades in over ``n`` frames.
``compose`` is ``join`` with cuts and dissolves given as dissolve lengths (0 = cut).
``flash`` brightens a few frames of one piece (a photographer's flash, an explosion):
the picture changes violently but the shot goes on, so it is *not* a transition.
Fast motion needs no helper: a piece read at several times its speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from devtools.video import Transition, dissolve

KINDS = ("cut", "dissolve", "fade")


@dataclass(frozen=True)
class Join:
    kind: str  # one of KINDS
    frames: int = 0  # dissolve length, or each half of a fade
    black: int = 0  # fade: frames of black between fade-out and fade-in

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown transition {self.kind!r}")
        if (self.kind == "cut") != (self.frames == 0) or self.black < 0 or (self.black and self.kind != "fade"):
            raise ValueError(f"inconsistent transition {self}")


def _ramp(frames: np.ndarray, start: float, stop: float) -> np.ndarray:
    """Frames scaled by a gain going linearly from ``start`` to ``stop`` (both ends excluded)."""
    gain = np.linspace(start, stop, len(frames) + 2, dtype=np.float32)[1:-1].reshape(-1, 1, 1, 1)
    return np.rint(frames.astype(np.float32) * gain).astype(np.uint8)


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
        else:
            black = np.zeros((how.black, *piece.shape[1:]), np.uint8)
            middle = np.concatenate([_ramp(tail, 1.0, 0.0), black, _ramp(piece[:n], 0.0, 1.0)])
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
