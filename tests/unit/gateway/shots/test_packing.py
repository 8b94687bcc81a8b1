"""gateway.shots.packing: segments with context, packed into 100-frame windows, read back in place."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from gateway.shots.packing import pack, predict_reads, segments
from gateway.shots.transnet import WINDOW


class FrameEcho:
    """A stand-in model whose 'probability' for each window position is the frame's own tag."""

    name = "echo"

    def __init__(self) -> None:
        self.calls = 0

    async def infer(self, model: str, inputs: dict[str, np.ndarray], outputs: list[str]) -> dict[str, np.ndarray]:
        self.calls += 1
        frames = inputs["frames"]
        assert frames.shape[1:] == (WINDOW, 27, 48, 3)
        tags = frames[:, :, 0, 0, 0].astype(np.float32) + 256.0 * frames[:, :, 0, 1, 0]
        return {"single_frame": tags[..., None]}

    async def is_ready(self, model: str) -> bool:
        return True

    async def close(self) -> None:
        return None


def tagged(count: int) -> np.ndarray:
    """Frames whose first two pixels encode their index."""
    frames = np.zeros((count, 27, 48, 3), np.uint8)
    frames[:, 0, 0, 0] = np.arange(count) % 256
    frames[:, 0, 1, 0] = np.arange(count) // 256
    return frames


def test_reads_come_back_at_their_own_frames_and_nothing_else() -> None:
    frames = tagged(1000)
    reads = [(100, 105), (400, 411), (404, 420), (990, 1000), (0, 3)]
    probs, windows = asyncio.run(predict_reads(FrameEcho(), frames, reads, margin=16))
    wanted = np.zeros(1000, bool)
    for a, b in reads:
        wanted[a:b] = True
    np.testing.assert_array_equal(probs[wanted], np.flatnonzero(wanted))
    assert np.isnan(probs[~wanted]).all()
    assert windows == 2  # segments of 35, 37, 52 and 42 frames: 52 + 42 and 37 + 35


def test_segments_merge_close_reads_and_keep_the_margin() -> None:
    parts = segments([(100, 105), (120, 125), (500, 505)], 1000, margin=16)
    assert [(s.start, s.stop) for s in parts] == [(84, 141), (484, 521)]
    assert parts[0].reads == ((100, 105), (120, 125))


def test_long_reads_are_split_to_fit_a_window() -> None:
    parts = segments([(0, 200)], 1000, margin=20)
    assert all(s.length <= WINDOW for s in parts)
    covered = sorted(r for s in parts for r in s.reads)
    assert covered[0][0] == 0 and covered[-1][1] == 200
    with pytest.raises(ValueError):
        segments([(0, 10)], 100, margin=50)


def test_first_fit_decreasing_fills_windows() -> None:
    parts = segments([(i * 100, i * 100 + 5) for i in range(9)], 1000, margin=14)  # 33 frames each
    assert [len(w) for w in pack(parts)] == [3, 3, 3]
