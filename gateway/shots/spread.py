"""Keeping a short shot between two transitions: the boundaries moved apart inside their transitions.

The timeline merges away any shot shorter than the minimum (``gateway.shots.timeline``), which
also guards against a dissolve found twice. But quick cutting has real shots that short between
two transitions, often one of them a dissolve: shot B shown only while dissolving in from A and
out to C. A gradual boundary may lie anywhere in its transition's span (``Boundary.first`` ..
``last``), so where the shot between two boundaries is too short, their spans do not meet, and
the frames between them are a picture of their own, the cascade moves the first boundary back
and the second on, inside their spans, until the shot reaches the minimum (never leaving a
neighbour under it). Shot B then starts where it begins to appear and ends where it has gone.

"A picture of its own": the frame between the two spans is off the way from the picture before
the first transition to the picture after the second (thumbnails; the direct change over the
change through it below ``level``). The middle of one dissolve found twice lies on that way (a
blend of its two ends: 0.63-0.93 on the tuning videos' doubles), a shot between two transitions
does not (0.18-0.44 where this kept one).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gateway.shots.base import Boundary
from gateway.shots.gradual_features import thumbnails


def own_picture(frames: np.ndarray, before: Boundary, after: Boundary, level: float) -> bool:
    """Whether the frames between ``before``'s span and ``after``'s are a picture of their own."""
    last = len(frames) - 1
    picked = [max(0, before.first - 2), (before.last + after.first) // 2, min(last, after.last + 2)]
    a, g, c = thumbnails(frames[picked])
    direct = float(np.abs(c - a).mean())
    through = float(np.abs(g - a).mean() + np.abs(c - g).mean())
    return direct < level * max(through, 1e-6)


def spread(
    bounds: list[Boundary], frames: np.ndarray, min_frames: int, level: float,
    keep: tuple[int, int] | None = None,
) -> list[Boundary]:
    """``bounds`` (sorted) with each shot shorter than ``min_frames`` between two transitions that
    do not meet and hold a picture of their own lengthened to ``min_frames`` by moving its
    boundaries within their spans, where that is possible without shortening a neighbouring shot
    under ``min_frames``. With ``keep`` (a stream's block), only where every boundary that could
    limit the move lies inside it (the context on either side is the neighbouring block's)."""
    out = list(bounds)
    lo, hi = keep if keep is not None else (-min_frames, len(frames) + min_frames)
    for i in range(1, len(out)):
        start, end = out[i - 1], out[i]
        need = min_frames - (end.frame - start.frame)
        if need <= 0 or end.first <= start.last or start.first - min_frames < lo or end.last + min_frames > hi:
            continue
        previous = out[i - 2].frame if i >= 2 else 0
        following = out[i + 1].frame if i + 1 < len(out) else len(frames)
        back = max(0, min(start.frame - start.first, start.frame - previous - min_frames))
        on = max(0, min(end.last - end.frame, following - end.frame - min_frames))
        if back + on < need or not own_picture(frames, start, end, level):
            continue
        early = min(back, need)
        out[i - 1] = replace(start, frame=start.frame - early)
        out[i] = replace(end, frame=end.frame + need - early)
    return out
