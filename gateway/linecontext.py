"""The context each line is classified with: the lines just before it in the same video.

The text model was trained on MELD with up to three preceding lines of the dialogue, so
the gateway sends each line with the classified lines before it (the text service's
``contexts``, oldest first). Lines are ordered by start time, ties by ``Line.key``
(start, end, text). Walking back from the line, an earlier line is taken while the
silence between it and the line after it (that line's start minus its end) is at most
``gap_s``, and until ``size`` are taken: a longer pause ends the conversation. Only the
last ``size`` lines seen are kept, so memory stays bounded on a feature-length video.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

LineKey = tuple[float, float, str]  # start_s, end_s, text: ``gateway.assign.Line.key``


class LineContext:
    """Contexts of new lines from those seen before them (``size`` 0: no context is sent)."""

    def __init__(self, size: int, gap_s: float) -> None:
        self.size = size
        self.gap_s = gap_s
        self.recent: list[LineKey] = []  # the last ``size`` lines seen, in time order

    def add(self, lines: Sequence[LineKey]) -> list[list[str]] | None:
        """Remember ``lines`` (classified now) and return each one's context, oldest first
        (None when ``size`` is 0). The lines added before count, and so do the earlier ones
        among ``lines``; a line added again is not its own context.
        """
        if self.size <= 0:
            return None
        known = sorted({*self.recent, *lines})
        self.recent = known[-self.size :]
        return [self._before(known, line) for line in lines]

    def _before(self, known: list[LineKey], line: LineKey) -> list[str]:
        at = bisect.bisect_left(known, line)
        taken: list[str] = []
        start = line[0]
        for earlier in reversed(known[max(0, at - self.size) : at]):
            if start - earlier[1] > self.gap_s:
                break
            taken.append(earlier[2])
            start = earlier[0]
        return taken[::-1]
