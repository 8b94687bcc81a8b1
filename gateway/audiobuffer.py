"""A stretch of a stream's 16 kHz audio addressed by absolute sample index, freed from the front.

Decoded chunks are appended as they are; ``slice`` copies out a shot's segment
(joining pieces only where it spans them) and ``drop_before`` releases what no
shot still needs, so the buffer holds the window between the last shot sent
and the decoder, whatever the video's length.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class AudioBuffer:
    def __init__(self) -> None:
        self.pieces: deque[np.ndarray] = deque()
        self.start = 0  # absolute index of the first kept sample
        self.end = 0  # absolute index after the last appended sample

    def append(self, samples: np.ndarray) -> None:
        if len(samples):
            self.pieces.append(samples)
            self.end += len(samples)

    def slice(self, begin: int, stop: int) -> np.ndarray:
        """Samples ``begin..stop-1`` that are kept (shorter where the audio ends first)."""
        begin, stop = max(begin, self.start), min(stop, self.end)
        out, at = [], self.start
        for piece in self.pieces:
            lo, hi = max(begin, at), min(stop, at + len(piece))
            if hi > lo:
                out.append(piece[lo - at : hi - at])
            at += len(piece)
            if at >= stop:
                break
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def drop_before(self, index: int) -> None:
        """Forget the samples before ``index``."""
        while self.pieces and self.start + len(self.pieces[0]) <= index:
            self.start += len(self.pieces.popleft())
        if self.pieces and index > self.start:
            self.pieces[0] = self.pieces[0][index - self.start :]
            self.start = index
