"""gateway.shots.packing: segments with context, packed into windows of at most 100 frames, read back in place."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from gateway.shots.packing import QUANTUM, pack, predict_reads, segments
from gateway.shots.transnet import WINDOW


class FrameEcho:
    """A stand-in model whose 'probability' for each window position is the frame's own tag (plus
    1000 times the output's position in the request)."""

    name = "echo"

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    async def infer(self, model: str, inputs: dict[str, np.ndarray], outputs: list[str]) -> dict[str, np.ndarray]:
        frames = inputs["frames"]
        self.shapes.append(frames.shape)
        tags = frames[:, :, 0, 0, 0].astype(np.float32) + 256.0 * frames[:, :, 0, 1, 0]
        return {name: tags[..., None] + 1000.0 * i for i, name in enumerate(outputs)}

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
    model = FrameEcho()
    found, sent = asyncio.run(predict_reads(model, frames, reads, margin=16))
    probs = found["single_frame"]
    wanted = np.zeros(1000, bool)
    for a, b in reads:
        wanted[a:b] = True
    np.testing.assert_array_equal(probs[wanted], np.flatnonzero(wanted))
    assert np.isnan(probs[~wanted]).all()
    # segments of 35, 37, 52 and 42 frames: windows of 52 + 42 and 37 + 35, sent as 100 and 80 frames
    assert model.shapes == [(1, WINDOW, 27, 48, 3), (1, 80, 27, 48, 3)]
    assert sent == 180


def test_every_output_asked_for_comes_back_at_the_frames_read() -> None:
    frames = tagged(500)
    reads = [(100, 105), (300, 320)]
    probs, _ = asyncio.run(predict_reads(FrameEcho(), frames, reads, margin=12, outputs=("single_frame", "gradual")))
    for name, offset in (("single_frame", 0.0), ("gradual", 1000.0)):
        np.testing.assert_array_equal(probs[name][100:105], np.arange(100, 105) + offset)
        np.testing.assert_array_equal(probs[name][300:320], np.arange(300, 320) + offset)
        assert np.isnan(probs[name][:100]).all() and np.isnan(probs[name][105:300]).all()


def test_windows_of_one_length_share_a_request_and_no_window_is_padded_past_a_quantum() -> None:
    frames = tagged(3000)
    reads = [(i * 150, i * 150 + 5) for i in range(1, 19)]  # 18 segments of 33 frames: 6 windows of 99
    reads.append((2900, 2905))  # and one more, alone in a window of 33
    model = FrameEcho()
    found, sent = asyncio.run(predict_reads(model, frames, reads, margin=14, batch_size=4))
    probs = found["single_frame"]
    assert model.shapes == [(4, WINDOW, 27, 48, 3), (2, WINDOW, 27, 48, 3), (1, 40, 27, 48, 3)]
    assert sent == 6 * WINDOW + 40 and 40 % QUANTUM == 0
    np.testing.assert_array_equal(probs[2900:2905], np.arange(2900, 2905))


def test_in_process_windows_are_sent_at_their_own_length() -> None:
    frames = tagged(3000)
    reads = [(i * 150, i * 150 + 5) for i in range(1, 4)]  # 3 segments of 33 frames: one window of 99
    reads.append((2900, 2905))  # and one of 33
    server, in_process = FrameEcho(), FrameEcho()
    in_process.name = "embedded"  # ONNX Runtime on CPU: every length costs per frame, nothing more
    asyncio.run(predict_reads(server, frames, reads, margin=14))
    probs, sent = asyncio.run(predict_reads(in_process, frames, reads, margin=14))
    assert [s[1] for s in server.shapes] == [WINDOW, 40]
    assert [s[1] for s in in_process.shapes] == [99, 33] and sent == 132
    np.testing.assert_array_equal(probs["single_frame"][2900:2905], np.arange(2900, 2905))


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
