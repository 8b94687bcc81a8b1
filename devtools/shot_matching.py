"""How detected shot boundaries are matched to a video's known transitions (benchmarks and error listings).

A predicted boundary matches a transition when it lies within ``TOLERANCE`` frames of it (a
gradual transition anywhere inside it); pairs are one to one, closest first.
"""

from __future__ import annotations

from devtools.video import Transition

TOLERANCE = 2


def match(predicted: list[tuple[int, str]], truth: list[Transition]) -> list[tuple[int, int]]:
    """One-to-one (prediction, truth) pairs within tolerance, closest first."""
    pairs = []
    for i, (frame, _) in enumerate(predicted):
        for j, t in enumerate(truth):
            lo, hi = t.first - TOLERANCE, t.last + TOLERANCE
            if lo <= frame <= hi:
                pairs.append((max(0, t.first - frame, frame - t.last), i, j))
    used_p, used_t, matched = set(), set(), []
    for _, i, j in sorted(pairs):
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            matched.append((i, j))
    return matched
