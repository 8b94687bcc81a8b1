"""Interlaced video: a face moving horizontally is found in more sampled frames once deinterlaced.

The clip (devtools.broadcast.moving_face) is MPEG-2 720x576 in MXF whose frames
weave two fields 1/50 s apart, so the moving face is combed. The gateway's
decoder samples it at 2 frames/s with and without ``bwdif`` and the real face
service (its HTTP app, embedded models) counts the samples with a face.
Shots of a two-shot interlaced MXF are cut on the same frames either way, by
the default detector. The counts are printed (``-s`` shows them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from devtools.broadcast import moving_face, mxf_from_sample
from devtools.sample_video import cached
from gateway.decode import decode_video
from gateway.probe import probe
from gateway.shots import detect
from services.face.app import create_app
from services.face.settings import FaceSettings


@pytest.fixture(scope="module")
def face() -> Iterator[TestClient]:
    with TestClient(create_app(FaceSettings())) as client:
        yield client


def faces_found(face: TestClient, path: Path, *, deinterlace: bool) -> tuple[int, int]:
    video = decode_video(path, deinterlace=deinterlace, with_audio=False)
    files = [("files", (f"{s.index}.jpg", s.jpeg, "image/jpeg")) for s in video.samples]
    response = face.post("/v1/predict", files=files)
    assert response.status_code == 200, response.text
    return sum(1 for result in response.json()["results"] if result["faces"]), len(video.samples)


@pytest.mark.parametrize("speed", [14.0, 50.0], ids=["350px-per-s", "1250px-per-s"])
def test_deinterlacing_finds_at_least_as_many_faces(face: TestClient, tmp_path: Path, speed: float) -> None:
    path = tmp_path / "moving_face.mxf"
    moving_face(path, seconds=4.0, speed_px_per_field=speed)
    assert probe(path).interlaced
    before, sampled = faces_found(face, path, deinterlace=False)
    after, sampled_after = faces_found(face, path, deinterlace=True)
    print(f"\nface moving {speed:g} px/field: faces in {before}/{sampled} samples as decoded, "
          f"{after}/{sampled_after} deinterlaced")
    assert sampled == sampled_after == 8
    assert after >= before and after == sampled
    if speed >= 50:
        assert before < sampled  # combing does cost detections at this speed (measured: 0 of 8)


@pytest.mark.slow
def test_shots_are_cut_at_the_same_frames_with_and_without_deinterlacing(tmp_path: Path) -> None:
    sample = cached("small")
    path = tmp_path / "two_shots.mxf"
    mxf_from_sample(sample, path, shots=2, tracks=())
    found = {}
    for deinterlace in (False, True):
        decoded = decode_video(path, deinterlace=deinterlace, sample_fps=0, with_audio=False)
        found[deinterlace] = [(shot.start_frame, shot.end_frame) for shot in detect(decoded)]
    print(f"\nshots as decoded: {found[False]}, deinterlaced: {found[True]}")
    assert found[True] == found[False]
    assert len(found[True]) == 2 and found[True][1][0] == pytest.approx(sample.cut_times_s[0] * 25, abs=1)
