"""Broadcast material end to end: an interlaced MPEG-2 MXF with two audio tracks and TTML, EBU-STL or SCC subtitles.

The MXF (devtools.broadcast) holds the first two shots of the sample video at
720x576, 25 fps, interlaced, with synthesised music on audio track 0 and the
spoken lines on track 1. Each sidecar carries the same lines, written with the
10:00:00:00 programme start broadcast files use. Jobs run over HTTP through the
real gateway and services (``stack``): every line must land whole in the shot it
is spoken in, the audio must come from the speech track (chosen by the gateway,
named in ``result.audio_track``) unless the request names the other one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.broadcast import mxf_from_sample
from devtools.sample_video import cached
from devtools.serve import LocalStack
from devtools.subtitle_files import TEN_HOURS_S, scc_bytes, stl_bytes, ttml_bytes
from gateway.subtitles import Cue

pytestmark = pytest.mark.slow
SIDECARS = {"clip.ttml": ttml_bytes, "clip.stl": stl_bytes, "clip.scc": scc_bytes}


@pytest.fixture(scope="module")
def mxf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Cue]]:
    path = tmp_path_factory.mktemp("broadcast") / "programme.mxf"
    cues = mxf_from_sample(cached("small"), path, shots=2, tracks=("music", "speech"))
    return path, cues


def run_job(stack: LocalStack, video: Path, sidecar: tuple[str, bytes] | None, **fields: str) -> dict[str, Any]:
    files: dict[str, Any] = {"video": (video.name, video.read_bytes(), "application/octet-stream")}
    if sidecar:
        files["subtitles"] = (sidecar[0], sidecar[1], "application/octet-stream")
    response = httpx.post(f"{stack.url('gateway')}/v1/videos", files=files, data=fields,
                          params={"wait": "true"}, timeout=600)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "done"
    return body


@pytest.mark.parametrize("name", sorted(SIDECARS))
def test_mxf_with_a_broadcast_sidecar_every_line_whole_audio_from_the_speech_track(
    stack: LocalStack, mxf: tuple[Path, list[Cue]], name: str
) -> None:
    video, cues = mxf
    result = run_job(stack, video, (name, SIDECARS[name](cues, TEN_HOURS_S)))
    assert result["video"]["width"] == 720 and result["video"]["height"] == 576
    assert result["video"]["interlaced"] is True
    assert result["text_source"] == "subtitles"
    shots = result["shots"]
    assert len(shots) == 2
    for cue in cues:
        middle = (cue.start_s + cue.end_s) / 2
        shot = next(s for s in shots if s["start_s"] <= middle <= s["end_s"])
        assert cue.text in shot["text"]["lines"], (cue, shot["text"])
    track = result["audio_track"]
    print(f"\n{name}: audio_track {track}; lines per shot {[s['text']['lines'] for s in shots]}")
    assert track["index"] == 1 and track["chosen_by"] == "speech"
    assert track["speech_s"]["1"] > 2.0 and track["speech_s"]["0"] < track["speech_s"]["1"]
    assert all(shot["audio"]["speech"] is True and shot["audio"]["label"] for shot in shots)


def test_a_request_naming_the_other_track_gets_that_one(stack: LocalStack, mxf: tuple[Path, list[Cue]]) -> None:
    video, cues = mxf
    result = run_job(stack, video, ("clip.ttml", ttml_bytes(cues, TEN_HOURS_S)), audio_track="0")
    assert result["audio_track"] == {"index": 0, "language": None, "channels": 1, "chosen_by": "request"}
    assert all(shot["audio"]["speech"] is False for shot in result["shots"])  # music only


def test_tracks_named_by_language_in_matroska(stack: LocalStack, tmp_path: Path) -> None:
    path = tmp_path / "programme.mkv"
    cues = mxf_from_sample(cached("small"), path, shots=1, tracks=("music", "speech"), languages=("fre", "eng"))
    sidecar = ("clip.stl", stl_bytes(cues, TEN_HOURS_S))
    chosen = run_job(stack, path, sidecar)["audio_track"]
    assert (chosen["index"], chosen["language"], chosen["chosen_by"]) == (1, "eng", "speech")
    named = run_job(stack, path, sidecar, audio_track="fre")
    assert named["audio_track"] == {"index": 0, "language": "fre", "channels": 1, "chosen_by": "request"}
    assert all(shot["audio"]["speech"] is False for shot in named["shots"])


def test_a_track_that_is_not_there_is_refused_before_the_job(stack: LocalStack, mxf: tuple[Path, list[Cue]]) -> None:
    video, _ = mxf
    response = httpx.post(
        f"{stack.url('gateway')}/v1/videos", files={"video": ("programme.mxf", video.read_bytes(), "application/mxf")},
        data={"audio_track": "eng"}, timeout=60,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_audio_track"
    assert "0 (no language tag), 1 (no language tag)" in error["message"]
