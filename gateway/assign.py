"""Assign subtitle or transcript lines to the shots they overlap.

``assign_lines`` over a whole video, ``LineAssigner`` as shots and cues stream in.

A line inside one shot goes to that shot whole. A line that crosses shot boundaries
is *split*: its words are apportioned to the shots in order, in proportion to the
time the line overlaps each shot (part of a line past the last shot is ignored, so
the fractions are over the covered time). A shot whose share rounds to zero words
gets nothing of that line. A zero-length line goes to the shot containing its start.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gateway.subtitles import Cue


class TimeSpan(Protocol):
    @property
    def start_s(self) -> float: ...

    @property
    def end_s(self) -> float: ...


def split_words(text: str, fractions: Sequence[float]) -> list[str]:
    """Split ``text`` into len(fractions) consecutive parts by word count (fractions sum to 1)."""
    words = text.split()
    parts, cumulative, start = [], 0.0, 0
    for fraction in fractions:
        cumulative += fraction
        stop = len(words) if cumulative >= 1 - 1e-9 else round(cumulative * len(words))
        parts.append(" ".join(words[start:stop]))
        start = stop
    return parts


def assign_lines(cues: Sequence[Cue], shots: Sequence[TimeSpan]) -> list[list[str]]:
    """The text lines of each shot, in time order.

    Shots are in time order and do not overlap; cues are taken in start order. One
    merge pass: a shot is skipped for good once a cue starts at or after its end, so
    the cost is O(cues + shots + pieces), never O(cues x shots).
    """
    lines: list[list[str]] = [[] for _ in shots]
    first = 0  # the first shot that can still overlap a cue
    for cue in sorted(cues, key=lambda c: c.start_s):  # already sorted: a linear pass
        while first < len(shots) and shots[first].end_s <= cue.start_s:
            first += 1
        if cue.end_s <= cue.start_s:
            if first < len(shots) and shots[first].start_s <= cue.start_s:
                lines[first].append(cue.text)
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
        total = sum(o for _, o in overlaps)
        parts = split_words(cue.text, [o / total for _, o in overlaps])
        for (i, _), part in zip(overlaps, parts, strict=True):
            if part:
                lines[i].append(part)
    return lines


class LineAssigner:
    """``assign_lines`` for a stream: shots and cues arrive in time order, lines go out as shots close.

    A shot's lines are final once every cue that can overlap it is known (cues are
    known up to ``add_cues``'s ``until_s``) and every shot those cues overlap is
    known (a split line is apportioned over all of them). The lines each shot gets
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

    def ready(self, *, finished: bool = False) -> list[tuple[int, list[str]]]:
        """(shot index, lines) of the shots whose lines are now final, in order.

        ``finished``: every shot and every cue has been added.
        """
        out: list[tuple[int, list[str]]] = []
        shots_until = self.shots[-1].end_s if self.shots else 0.0
        while self.next < self.base + len(self.shots):
            shot = self.shots[self.next - self.base]
            if not finished and self.cues_until < shot.end_s:
                break
            mine = [cue for cue in self.cues if _touches(cue, shot)]
            if not finished and any(cue.end_s > shots_until for cue in mine):
                break
            lines = []
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
