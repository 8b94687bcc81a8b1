"""End to end over HTTP with every service its own process, on real sample videos.

The sample (devtools.sample_video) has four shots with hard cuts: a talking man (happy line),
the smiling astronaut (surprised line), the man mirrored (angry line) and a
building without a face (sad line), each line spoken by espeak-ng and written to an
SRT file; the test checks each line's label and that the CSV export says what the JSON
says. A generated shot (the astronaut, a happy subtitle line, no sound) checks that
modalities that agree give a fused label without review. The last test kills the face service while a job runs: the job must still
finish, with face null and a reason on the shots it could not analyse.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from PIL import Image

from devtools.sample_video import Sample, cached, fit
from devtools.samples import skimage_image
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
    assert result["language"] == "en"
    assert result["video"]["width"] == 352 and result["video"]["height"] == 288
    shots = result["shots"]
    assert [s["index"] for s in shots] == [0, 1, 2, 3]
    for shot, cut in zip(shots[1:], clip.cut_times_s, strict=True):
        assert shot["start_s"] == pytest.approx(cut, abs=0.05)
    for shot, cue in zip(shots, clip.cues, strict=True):
        assert "errors" not in shot
        assert shot["text"]["source"] == "subtitles" and shot["text"]["lines"] == [cue.text]
        assert shot["text"]["language"] == "en" and "translated" not in shot["text"]
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
    # What a user reads first: each line's emotion is among the two the model reads most.
    # (Read with the lines before it, as the gateway sends them, the MELD-trained model calls
    # "Wow! ... What an amazing surprise!" happiness, then surprise; "I am furious ... I hate
    # it!" disgust, then anger: the model card's limits.)
    written = ["happiness", "surprise", "anger", "sadness"]
    for shot, emotion in zip(shots, written, strict=True):
        scores = shot["text"]["scores"]
        assert emotion in sorted(scores, key=scores.get)[-2:], (emotion, scores)
    assert [shots[0]["text"]["label"], shots[3]["text"]["label"]] == ["happiness", "sadness"]

    response = httpx.get(f"{stack.url('gateway')}/v1/videos/{result['id']}/result.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert_csv_matches(response.text, shots)


def assert_csv_matches(csv_text: str, shots: list[dict[str, Any]]) -> None:
    """The CSV export says, row for row, what the JSON result says."""
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == len(shots)

    def cell(value: Any) -> str:
        return "" if value is None else str(value)

    for row, shot in zip(rows, shots, strict=True):
        face, text, audio, fused = (shot[k] or {} for k in ("face", "text", "audio", "fused"))
        expected = {
            "index": shot["index"], "start_s": shot["start_s"], "end_s": shot["end_s"],
            "start_frame": shot["start_frame"], "end_frame": shot["end_frame"],
            "face_label": face.get("label"), "face_frames": face.get("frames"),
            "face_frames_with_face": face.get("frames_with_face"),
            "text_source": text.get("source"), "text_label": text.get("label"),
            "text": " / ".join(text.get("lines") or []),
            "audio_speech": audio.get("speech"), "audio_label": audio.get("label"),
            "fused_label": fused.get("label"), "needs_review": fused.get("needs_review"),
            "modalities_used": " ".join(fused.get("modalities_used") or []),
        }
        assert {k: row[k] for k in expected} == {k: cell(v) for k, v in expected.items()}
        for label in LABELS:
            assert float(row[f"fused_{label}"]) == pytest.approx(fused["scores"][label], abs=1e-9)
        assert (json.loads(row["errors"]) if row["errors"] else None) == shot.get("errors")


def test_a_shot_whose_modalities_agree_needs_no_review(stack: LocalStack, tmp_path: Path) -> None:
    # The smiling astronaut with a happy subtitle line and no sound: face and text agree.
    frames = [fit(np.asarray(Image.open(skimage_image("astronaut.png")).convert("RGB")), (352, 288))] * 30
    video = tmp_path / "agree.mp4"
    with av.open(str(video), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 352, 288, "yuv420p"
        for index, picture in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    srt = b"1\n00:00:00,200 --> 00:00:02,800\nI am so happy today! This is wonderful news, and I love it.\n"
    files = {"video": ("agree.mp4", video.read_bytes(), "video/mp4"), "subtitles": ("agree.srt", srt, "application/x-subrip")}
    response = httpx.post(f"{stack.url('gateway')}/v1/videos", files=files, params={"wait": "true"}, timeout=600)
    assert response.status_code == 200, response.text
    [shot] = response.json()["shots"]
    assert shot["face"]["label"] == "happiness" and shot["text"]["label"] == "happiness"
    assert shot["audio"]["speech"] is False
    fused = shot["fused"]
    assert fused["modalities_used"] == ["face", "text"]
    assert fused["label"] == "happiness" and fused["needs_review"] is False


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
    assert result["text_source"] == "asr" and result["language"] == "en"
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
