"""gateway.audiobuffer: slices by absolute sample index across appended pieces, freed from the front."""

from __future__ import annotations

import numpy as np

from gateway.audiobuffer import AudioBuffer


def test_slices_match_the_whole_signal_and_dropping_frees_the_front() -> None:
    signal = np.arange(1000, dtype=np.float32)
    buffer = AudioBuffer()
    for piece in np.split(signal, [130, 400, 401, 777]):
        buffer.append(piece)
    for begin, stop in [(0, 10), (120, 140), (0, 1000), (399, 402), (990, 1200)]:
        np.testing.assert_array_equal(buffer.slice(begin, stop), signal[begin:stop])
    buffer.drop_before(405)
    assert buffer.start == 405 and sum(len(p) for p in buffer.pieces) == 595
    np.testing.assert_array_equal(buffer.slice(405, 800), signal[405:800])
    assert len(buffer.slice(100, 200)) == 0  # dropped
