"""End to end over HTTP with every service its own process, on real sample videos.

The sample (devtools.sample_video) has four shots with hard cuts: a talking man (happy line),
the smiling astronaut (surprised line), the man mirrored (angry line) and a
building without a face (sad line), each line spoken by espeak-ng and written to an
SRT file. The last test kills the face service while a job runs: the job must still
finish, with face null and a reason on the shots it could not analyse.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from devtools.sample_video import Sample, cached
from devtools.serve import LocalStack
from emocore.labels import LABELS

pytestmark = pytest.mark.slow


def post_video(stack: LocalStack, clip: Sample, *, subtitles: bool, wait: bool) -> httpx.Response:
    files: dict[str, Any] = {"video": ("clip.mp4", clip.video.read_bytes(), "video/mp4")}
    if subtitles:
        files["subtitles"] = ("clip.srt", clip.srt.read_bytes(), "application/x-subrip")
    return httpx.post(
        f"{stack.url('gateway')}/v1/videos", files=files, params={"wait": str(wait).lower()}, timeout=600
    )


def assert_scores(section: dict[str, Any]) -> None:
    assert section["label"] in LABELS
    assert set(section["scores"]) == set(LABELS)
    assert sum(section["scores"].values()) == pytest.approx(1.0, abs=1e-3)
    assert section["label"] == max(section["scores"], key=section["scores"].get)


def test_video_with_subtitles_gets_every_modality_per_shot(stack: LocalStack) -> None:
    clip = cached("small")
    response = post_video(stack, clip, subtitles=True, wait=True)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status"] == "done" and result["text_source"] == "subtitles"
    assert result["video"]["width"] == 352 and result["video"]["height"] == 288
    shots = result["shots"]
    assert [s["index"] for s in shots] == [0, 1, 2, 3]
    for shot, cut in zip(shots[1:], clip.cut_times_s, strict=True):
        assert shot["start_s"] == pytest.approx(cut, abs=0.05)
    for shot, cue in zip(shots, clip.cues, strict=True):
        assert "errors" not in shot
        assert shot["text"]["source"] == "subtitles" and shot["text"]["lines"] == [cue.text]
        assert_scores(shot["text"])
        assert shot["audio"]["speech"] is True
        assert_scores(shot["audio"])
        assert_scores(shot["fused"])
        assert isinstance(shot["fused"]["needs_review"], bool)
    for shot in shots[:3]:  # the man, the astronaut, the man mirrored
        face = shot["face"]
        assert face["frames"] >= 8 and face["frames_with_face"] >= 0.7 * face["frames"]
        assert face["aggregation"] == "mean"
        assert_scores(face)
        assert shot["fused"]["modalities_used"] == ["face", "text", "audio"]
    building = shots[3]["face"]
    assert building["frames"] >= 8 and building["frames_with_face"] == 0
    assert building["label"] is None and building["scores"] is None  # no face, not a guessed neutral
    assert shots[3]["fused"]["modalities_used"] == ["text", "audio"]
    assert shots[1]["face"]["label"] == "happiness"  # the astronaut smiles

    csv_text = httpx.get(f"{stack.url('gateway')}/v1/videos/{result['id']}/result.csv").text
    assert len(csv_text.strip().splitlines()) == 5


def test_embedded_subtitle_stream_is_the_text_source(stack: LocalStack) -> None:
    clip = cached("embedded", embed_subtitles=True)
    response = post_video(stack, clip, subtitles=False, wait=True)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["text_source"] == "embedded"
    assert [s["text"]["lines"] for s in result["shots"]] == [[c.text] for c in clip.cues]


def test_without_subtitles_the_speech_is_transcribed(stack: LocalStack) -> None:
    clip = cached("small")
    response = post_video(stack, clip, subtitles=False, wait=True)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["text_source"] == "asr"
    heard = " ".join(" ".join(s["text"]["lines"]) for s in result["shots"]).lower()
    assert "happy" in heard and "surprise" in heard
    assert all(s["text"]["source"] == "asr" for s in result["shots"])


def test_face_service_killed_mid_job_leaves_face_null_with_reasons(stack: LocalStack) -> None:
    clip = cached("long", repeat=3)
    response = post_video(stack, clip, subtitles=True, wait=False)
    assert response.status_code == 202
    status_url = f"{stack.url('gateway')}{response.json()['status_url']}"
    deadline = time.monotonic() + 120
    while httpx.get(status_url).json()["progress"] < 0.3:  # a third analysed: the rest in flight or to come
        assert time.monotonic() < deadline
        time.sleep(0.05)
    stack.kill("face")
    while (body := httpx.get(status_url).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline + 300
        time.sleep(0.5)
    assert body["status"] == "done", body.get("error")
    shots = body["result"]["shots"]
    assert len(shots) == 12
    failed = [s for s in shots if s["face"] is None]
    assert failed, "the face service died but every shot still has face results"
    for shot in failed:
        assert shot["errors"]["face"]
        assert set(shot["errors"]) == {"face"}
        assert shot["text"] is not None and shot["audio"] is not None
        assert "face" not in shot["fused"]["modalities_used"]
        assert shot["fused"]["label"] in LABELS
