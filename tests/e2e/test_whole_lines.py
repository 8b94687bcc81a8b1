"""Subtitle lines that cross cuts reach every shot they overlap whole, through the real gateway and services.

The sample video has known hard cuts; its SRT is rewritten so that lines run over
each cut (dialogue over a reverse shot) and others sit inside a shot. Every shot of
the result must list, whole, every line that overlaps it (by more than the timing
jitter ``gateway.assign.MIN_OVERLAP_S``), and no shot may hold anything that is not
one of the lines as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.sample_video import cached, srt_text
from devtools.serve import LocalStack
from gateway.assign import MIN_OVERLAP_S
from gateway.subtitles import Cue

pytestmark = pytest.mark.slow

ACROSS = [
    "Ask me again later, I am too angry to think about it now.",
    "Oh, I'm sorry. Of course I mean it, every single word of it.",
    "We won! I can't believe it, this is the best day of my life.",
]


def crossing_cues(cuts: list[float], duration_s: float) -> list[Cue]:
    """One line over each cut (1.5 s before it, 1 s after) and one short line inside each shot."""
    cues = [Cue(cut - 1.5, cut + 1.0, ACROSS[i % len(ACROSS)]) for i, cut in enumerate(cuts)]
    edges = [0.0, *cuts, duration_s]
    cues += [Cue(a + 0.1, a + 0.3, f"Inside shot {i}.") for i, a in enumerate(edges[:-1])]
    return sorted(cues, key=lambda c: c.start_s)


def test_lines_over_cuts_are_whole_in_every_shot_they_overlap(stack: LocalStack, tmp_path: Path) -> None:
    clip = cached("small")
    cues = crossing_cues(clip.cut_times_s, clip.duration_s)
    files = {"video": ("cuts.mp4", clip.video.read_bytes(), "video/mp4"),
             "subtitles": ("cuts.srt", srt_text(cues).encode(), "application/x-subrip")}
    response = httpx.post(f"{stack.url('gateway')}/v1/videos", files=files, params={"wait": "true"}, timeout=600)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert result["status"] == "done", result
    shots = result["shots"]
    assert len(shots) == len(clip.cut_times_s) + 1
    written = {cue.text for cue in cues}
    crossing = 0
    for shot in shots:
        lines = shot["text"]["lines"]
        assert set(lines) <= written, lines  # no fragment: only lines as written
        expected = [cue.text for cue in cues
                    if min(cue.end_s, shot["end_s"]) - max(cue.start_s, shot["start_s"]) >= MIN_OVERLAP_S]
        assert lines == expected, (shot["start_s"], shot["end_s"], lines)
        crossing += sum(text in ACROSS for text in lines)
        assert shot["text"]["label"] is not None
    assert crossing == 2 * len(clip.cut_times_s)  # each crossing line in both of its shots
