"""Assign subtitle or transcript lines to the shots they overlap.

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
