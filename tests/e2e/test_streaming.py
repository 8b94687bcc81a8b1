"""A job is streamed: finished shots show while it runs, and the result equals a whole-video run.

The gateway runs with a small window (90 frames per detection block, one shot in
flight, transcription in 8-s pieces) on the 12-shot sample with subtitles, so the
video is cut and analysed block by block. The reference is computed here without
any streaming: the whole video decoded at once, the shot detector called once
over all its frames, every shot's samples, audio and lines (each with its context
by the same rule, ``gateway.linecontext``, over the whole video at once) sent to the
same services (real models) and fused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.sample_video import Sample, cached
from devtools.serve import LocalStack
from gateway import modalities
from gateway.assign import assign_lines
from gateway.clients import ServiceClients
from gateway.decode import decode_video
from gateway.linecontext import LineContext
from gateway.metrics import GatewayMetrics
from gateway.probe import probe
from gateway.settings import GatewaySettings
from gateway.shots import create_detector, detect_shots

pytestmark = pytest.mark.slow
WINDOW = {
    "EMO_GATEWAY_WINDOW_FRAMES": "90",
    "EMO_GATEWAY_DECODE_CHUNK_FRAMES": "30",
    "EMO_GATEWAY_SHOT_CONCURRENCY": "1",
    "EMO_GATEWAY_TRANSCRIBE_CHUNK_S": "8",
}


@pytest.fixture(scope="module")
def small_window(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    root: Path = tmp_path_factory.mktemp("streaming")
    env = {"EMO_GATEWAY_DATA_DIR": str(root / "gateway"), **WINDOW}
    with LocalStack.on_free_ports(env=env, log_dir=root / "logs", ready_timeout_s=300) as running:
        yield running


async def reference(stack: LocalStack, clip: Sample) -> list[dict[str, Any]]:
    """Shots and labels without streaming: one decode, one detector call, per-shot requests, fusion."""
    settings = GatewaySettings(**{f"{name}_url": stack.url(name) for name in ("face", "text", "audio", "fusion")})
    decoded = decode_video(clip.video)
    detector = create_detector("cascade")  # embedded, on the default model repository
    try:
        shots = await detect_shots(decoded.small_frames, probe(clip.video).fps, detector, timestamps=decoded.timestamps)
    finally:
        await detector.close()
    clients = ServiceClients(settings, GatewayMetrics())
    lines = assign_lines(clip.cues, shots)
    keys = [x.key for shot in lines for x in shot]
    contexts = LineContext(settings.text_context_lines, settings.text_context_gap_s).add(keys)
    predictions = await modalities.predict_lines(clients, [x.text for shot in lines for x in shot], batch_size=64,
                                                 contexts=contexts)
    out, cursor = [], 0
    try:
        for shot, shot_lines in zip(shots, lines, strict=True):
            jpegs = [s.jpeg for s in decoded.samples if shot.start_frame <= s.index <= shot.end_frame]
            face = await modalities.face_result(clients, jpegs, batch_size=32, rule="mean")
            assert decoded.audio is not None
            audio = await modalities.audio_result(
                clients, decoded.audio[round(shot.start_s * 16000) : round(shot.end_s * 16000)]
            )
            text = modalities.text_result("subtitles", shot_lines, predictions[cursor : cursor + len(shot_lines)])
            cursor += len(shot_lines)
            sections = {"face": face, "text": text, "audio": audio}
            payload = {m: {"scores": v["scores"]} if v["scores"] else None for m, v in sections.items()}
            fused = (await clients.fuse([payload]))[0]
            out.append({"start_frame": shot.start_frame, "end_frame": shot.end_frame, **sections, "fused": fused})
    finally:
        await clients.close()
    return out


def test_partial_results_while_running_and_the_same_result_as_a_whole_video_run(small_window: LocalStack) -> None:
    clip = cached("long", repeat=3)
    files = {
        "video": ("clip.mp4", clip.video.read_bytes(), "video/mp4"),
        "subtitles": ("clip.srt", clip.srt.read_bytes(), "application/x-subrip"),
    }
    response = httpx.post(f"{small_window.url('gateway')}/v1/videos", files=files, timeout=120)
    assert response.status_code == 202, response.text
    status_url = f"{small_window.url('gateway')}{response.json()['status_url']}"
    partials: list[dict[str, Any]] = []
    deadline = time.monotonic() + 600
    while (body := httpx.get(status_url).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        if body["status"] == "running" and body.get("result", {}).get("shots"):
            partials.append(body)
        time.sleep(0.05)
    assert body["status"] == "done", body.get("error")
    result = body["result"]
    assert "partial" not in result and len(result["shots"]) == 12
    assert partials, "no finished shot was visible before the job ended"
    for seen in partials:
        assert seen["result"]["partial"] is True and 0 < seen["progress"] < 1
        assert 0 < len(seen["result"]["shots"]) <= 12  # all of them for a moment before the job ends
        assert seen["result"]["processed_s"] <= clip.duration_s
        assert seen["result"]["video"]["width"] == 352
        for shot in seen["result"]["shots"]:  # a shot shown early is final: it does not change
            assert shot == result["shots"][shot["index"]]
    counts = {len(seen["result"]["shots"]) for seen in partials}
    assert min(counts) < 12 and len(counts) > 1  # shots were visible early and kept coming in

    expected = asyncio.run(reference(small_window, clip))
    assert [(s["start_frame"], s["end_frame"]) for s in result["shots"]] == [
        (s["start_frame"], s["end_frame"]) for s in expected
    ]
    for got, want in zip(result["shots"], expected, strict=True):
        for modality in ("face", "text", "audio", "fused"):
            assert got[modality]["label"] == want[modality]["label"], (got["index"], modality)
        assert got["text"]["lines"] == want["text"]["lines"]
        assert got["face"]["frames"] == want["face"]["frames"]
        assert got["fused"]["scores"] == pytest.approx(want["fused"]["scores"], abs=1e-4)
