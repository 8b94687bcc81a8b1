"""The cascade's error listing names what decided each error, and reads tuning families only."""

from __future__ import annotations

import numpy as np
import pytest

from devtools.shot_families import FamilyVideo
from devtools.shot_misses import explain, main
from devtools.video import Transition
from gateway.shots.cascade import Candidates, CascadeParams
from gateway.shots.gradual_scorer import Span


def test_each_error_is_listed_with_the_stage_1_candidate_that_made_it_or_none() -> None:
    """A sure dissolve span over a look-alike gives a false boundary; a cut stage 1 never proposed is missed,
    and so is a dissolve whose span the judge dropped."""
    count = 400
    video = FamilyVideo(
        "tune-x", "tune-x-0", np.zeros((count, 27, 48, 3), np.uint8), 25.0,
        [Transition("cut", 100, 100), Transition("cut", 300, 300), Transition("gradual", 350, 360)], [(198, 212)],
    )
    found = Candidates(
        sure=[100], cuts=np.array([], int), gradual=[], fades=[Span(200, 210, 205, 0.995, 5)],
        delta=np.full(count, 4.0, np.float32), frames=video.frames, dropped=[Span(349, 361, 355, 0.8, 6)],
    )
    unread = np.full(count, np.nan, np.float32)
    lines = explain(video, found, {"single_frame": unread, "gradual": unread}, CascadeParams())
    assert lines[0] == "tune-x-0: false gradual at 205: sure dissolve span 200-210 (peak 205, score 0.995)"
    assert "look-alikes: ['198-212']" in lines[1]
    assert lines[2] == "tune-x-0: missed cut 300-300 (HSV step 4.0): no candidate"
    assert lines[4].startswith("tune-x-0: missed gradual 350-360") and lines[4].endswith("span 349-361 dropped by the judge")
    assert len(lines) == 6
    found_all = Candidates(sure=[100, 300], cuts=np.array([], int), gradual=[], fades=[Span(350, 360, 355, 0.995, 5)],
                           delta=found.delta, frames=video.frames)
    assert explain(video, found_all, {"single_frame": unread, "gradual": unread}, CascadeParams()) == []


def test_held_out_families_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--family", "held-640-camera"])
    assert exit_.value.code == 2
    assert "must name a tuning family (tune-160-mixed" in capsys.readouterr().err
