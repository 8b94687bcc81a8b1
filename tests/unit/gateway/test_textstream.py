"""gateway.textstream: what the text service is asked, line by line, with each line's context.

A job's subtitles go through ``TextStream`` to the real text service in process
(tests/unit/gateway/inprocess.py), and the requests are read as the service got them.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from gateway.clients import ServiceClients
from gateway.folder import JobFolder
from gateway.metrics import GatewayMetrics
from gateway.settings import GatewaySettings
from gateway.shots import Shot
from gateway.subtitles import Cue
from gateway.textstream import TextOutcome, TextStream
from services.text.app import create_app as text_app
from tests.unit.gateway.inprocess import serving

FPS = 25
CUES = [
    Cue(0.0, 1.0, "Where were you last night?"),
    Cue(1.5, 3.0, "I was at work, I told you."),
    Cue(3.2, 4.5, "You always say that!"),
    Cue(5.0, 6.0, "Please, just listen to me."),  # across the cut at 5.5 s: classified once
    Cue(15.5, 16.5, "Fine. Whatever you say."),  # 9.5 s after the last line: the same conversation
    Cue(30.0, 31.0, "Good morning, everyone."),  # 13.5 s of silence before: a new one
    Cue(31.5, 32.5, "Morning! The coffee is ready."),
]
SHOTS = [(0.0, 5.5), (5.5, 15.0), (15.0, 40.0)]


def shot(index: int) -> Shot:
    start_s, end_s = SHOTS[index]
    return Shot(index, round(start_s * FPS), round(end_s * FPS) - 1, start_s, end_s, "cut", 1.0)


def run(tmp_path: Path, settings: GatewaySettings) -> tuple[list[dict[str, Any]], list[TextOutcome]]:
    """The text requests and outcomes of a job with CUES: two shots resolved, then the last one."""
    folder = JobFolder(tmp_path / "job")
    folder.create()
    folder.save_cues(CUES)
    sent: list[httpx.Request] = []

    async def main() -> list[TextOutcome]:
        async with serving({"text": text_app()}, sent) as http:
            stream = TextStream(
                ServiceClients(settings, GatewayMetrics(), http), chunk_s=settings.transcribe_chunk_s,
                batch_size=settings.text_batch_size, max_cues=settings.max_subtitle_cues,
                context_lines=settings.text_context_lines, context_gap_s=settings.text_context_gap_s,
            )
            await stream.start(folder, has_audio=False)
            stream.add_shots([shot(0), shot(1)])
            outcomes = await stream.ready()
            stream.add_shots([shot(2)])
            return outcomes + await stream.ready(finished=True)

    outcomes = asyncio.run(main())
    return [json.loads(request.content) for request in sent if request.url.path == "/v1/predict"], outcomes


def test_each_line_is_sent_once_with_the_lines_before_it(tmp_path: Path) -> None:
    settings = GatewaySettings(text_url="http://text", text_batch_size=3)
    requests, outcomes = run(tmp_path, settings)
    assert [len(r["texts"]) for r in requests] == [3, 1, 3]  # shots 0-1, then shot 2; 3 lines a request
    assert all(len(r["contexts"]) == len(r["texts"]) for r in requests)
    sent = [(text, context) for r in requests for text, context in zip(r["texts"], r["contexts"], strict=True)]
    lines = [cue.text for cue in CUES]
    assert sent == [
        (lines[0], []),
        (lines[1], lines[:1]),
        (lines[2], lines[:2]),
        (lines[3], lines[:3]),
        (lines[4], lines[1:4]),  # the last batch's lines count: at most three, oldest first
        (lines[5], []),
        (lines[6], lines[5:6]),
    ]
    assert [index for index, _, _ in outcomes] == [0, 1, 2]
    assert all(result is not None and result.label is not None and error is None for _, result, error in outcomes)


def test_no_context_lines_is_the_request_without_contexts(tmp_path: Path) -> None:
    requests, outcomes = run(tmp_path, GatewaySettings(text_url="http://text", text_context_lines=0))
    assert requests == [{"texts": [cue.text for cue in CUES[:4]]}, {"texts": [cue.text for cue in CUES[4:]]}]
    assert all(result is not None and result.label is not None for _, result, _ in outcomes)
