"""Assign subtitle or transcript lines to the shots they overlap, whole.

``assign_lines`` over a whole video, ``LineAssigner`` as shots and cues stream in.

A line goes whole to every shot it overlaps, never cut into fragments: the text
model reads the sentence, and each shot lists every line spoken over it (dialogue
runs over reverse shots). Its ``share`` in a shot is the part of its time that
falls in that shot, over the part that falls in any shot (1 for a line inside one
shot); the shot's text scores weigh each line by its words times its share
(``gateway.modalities.text_result``). An overlap shorter than ``MIN_OVERLAP_S``
(subtitle timing is a frame or two off a cut) does not count, unless the line
overlaps no shot for longer. A zero-length line goes to the shot containing its
start; a line outside every shot to none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.subtitles import Cue

MIN_OVERLAP_S = 0.1


class TimeSpan(Protocol):
    @property
    def start_s(self) -> float: ...

    @property
    def end_s(self) -> float: ...


@dataclass(frozen=True)
class Line:
    """A whole line as one shot has it."""

    text: str
    share: float  # of the line's time (in shots) that falls in this shot, 0 < share <= 1
    start_s: float
    end_s: float

    @property
    def key(self) -> tuple[float, float, str]:
        """The same for every shot the line overlaps (it is classified once)."""
        return self.start_s, self.end_s, self.text


def texts(lines: Sequence[Line]) -> list[str]:
    """The lines' words as the source has them (what results show)."""
    return [line.text for line in lines]


def assign_lines(cues: Sequence[Cue], shots: Sequence[TimeSpan]) -> list[list[Line]]:
    """The whole lines of each shot, in time order, with their shares.

    Shots are in time order and do not overlap; cues are taken in start order. One
    merge pass: a shot is skipped for good once a cue starts at or after its end, so
    the cost is O(cues + shots + pieces), never O(cues x shots).
    """
    lines: list[list[Line]] = [[] for _ in shots]
    first = 0  # the first shot that can still overlap a cue
    for cue in sorted(cues, key=lambda c: c.start_s):  # already sorted: a linear pass
        while first < len(shots) and shots[first].end_s <= cue.start_s:
            first += 1
        if cue.end_s <= cue.start_s:
            if first < len(shots) and shots[first].start_s <= cue.start_s:
                lines[first].append(Line(cue.text, 1.0, cue.start_s, cue.end_s))
            continue
        overlaps = []
        for i in range(first, len(shots)):
            shot = shots[i]
            if shot.start_s >= cue.end_s:
                break
            overlap = min(cue.end_s, shot.end_s) - max(cue.start_s, shot.start_s)
            if overlap > 0:
                overlaps.append((i, overlap))
        if not overlaps:
            continue
        kept = [(i, o) for i, o in overlaps if o >= MIN_OVERLAP_S] or [max(overlaps, key=lambda item: item[1])]
        total = sum(o for _, o in kept)
        for i, overlap in kept:
            lines[i].append(Line(cue.text, overlap / total, cue.start_s, cue.end_s))
    return lines


class LineAssigner:
    """``assign_lines`` for a stream: shots and cues arrive in time order, lines go out as shots close.

    A shot's lines are final once every cue that can overlap it is known (cues are
    known up to ``add_cues``'s ``until_s``) and every shot those cues overlap is
    known (a line's share depends on all of them). The lines each shot gets
    are exactly those ``assign_lines`` gives over the whole video. Cues that end
    before the next shot to resolve are dropped; shots are kept as spans.
    """

    def __init__(self) -> None:
        self.cues: list[Cue] = []  # cues that may still overlap a shot to resolve, in order
        self.cues_until = 0.0
        self.shots: list[TimeSpan] = []  # from the earliest one a kept cue may overlap
        self.base = 0  # index of self.shots[0]
        self.next = 0  # index of the first shot not resolved

    def add_cues(self, cues: Sequence[Cue], until_s: float) -> None:
        """More cues (in order, after those already added); every cue starting before ``until_s`` is known."""
        self.cues.extend(cues)
        self.cues_until = max(self.cues_until, until_s)

    def add_shots(self, shots: Sequence[TimeSpan]) -> None:
        self.shots.extend(shots)

    def ready(self, *, finished: bool = False) -> list[tuple[int, list[Line]]]:
        """(shot index, lines) of the shots whose lines are now final, in order.

        ``finished``: every shot and every cue has been added.
        """
        out: list[tuple[int, list[Line]]] = []
        shots_until = self.shots[-1].end_s if self.shots else 0.0
        while self.next < self.base + len(self.shots):
            shot = self.shots[self.next - self.base]
            if not finished and self.cues_until < shot.end_s:
                break
            mine = [cue for cue in self.cues if _touches(cue, shot)]
            if not finished and any(cue.end_s > shots_until for cue in mine):
                break
            lines: list[Line] = []
            for cue in mine:
                spans = [s for s in self.shots if _touches(cue, s)]
                part = assign_lines([cue], spans)[spans.index(shot)]
                lines += part
            out.append((self.next, lines))
            self.next += 1
            self.cues = [cue for cue in self.cues if cue.end_s > shot.end_s or cue.start_s >= shot.end_s]
            self._forget(min([shot.end_s, *(cue.start_s for cue in self.cues)]))
        return out

    def _forget(self, before_s: float) -> None:
        """Drop resolved shots that end before ``before_s`` (no kept cue reaches them)."""
        drop = 0
        while drop < self.next - self.base and self.shots[drop].end_s <= before_s:
            drop += 1
        del self.shots[:drop]
        self.base += drop


def _touches(cue: Cue, shot: TimeSpan) -> bool:
    if cue.end_s <= cue.start_s:
        return shot.start_s <= cue.start_s < shot.end_s
    return min(cue.end_s, shot.end_s) - max(cue.start_s, shot.start_s) > 0
