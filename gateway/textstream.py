"""The text modality of a streaming job: where its lines come from, transcription in chunks, lines per shot.

The source is chosen once at the start: the sidecar subtitles' cues (parsed at
upload, read from the job folder), else the container's embedded text subtitle
stream, else the audio, transcribed in chunks of ``transcribe_chunk_s`` as the
decoder produces it (one chunk at a time, at most ``TRANSCRIBE_QUEUE`` waiting:
a decoder that runs ahead waits), else none. Shots are added as they close;
``ready()`` returns the text results of the shots whose lines are final
(``gateway.assign.LineAssigner``), classified in batches. A chunk whose
transcription failed makes the shots it overlaps ``text: null`` with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import numpy as np

from emocore.errors import InvalidInput, PayloadTooLarge
from gateway import modalities
from gateway.assign import LineAssigner
from gateway.clients import ServiceClients
from gateway.downstream import DownstreamError
from gateway.embedded_subs import embedded_cues
from gateway.folder import JobFolder
from gateway.results import TextResult, TextSource
from gateway.shots import Shot
from gateway.subtitles import Cue

TRANSCRIBE_QUEUE = 1
log = logging.getLogger(__name__)
TextOutcome = tuple[int, TextResult | None, str | None]  # shot index, result, error


class TextStream:
    def __init__(self, clients: ServiceClients, *, chunk_s: float, batch_size: int, max_cues: int) -> None:
        self.clients = clients
        self.max_cues = max_cues
        self.chunk = max(1, round(chunk_s * modalities.AUDIO_RATE))
        self.batch_size = batch_size
        self.source: TextSource | None = None
        self.assigner = LineAssigner()
        self.shots: dict[int, Shot] = {}  # added, not yet resolved
        self.failed: list[tuple[float, float, str]] = []  # transcription failures: start, end, reason
        self.pending: list[np.ndarray] = []  # audio not yet sent for transcription
        self.pending_len = 0
        self.sent = 0  # samples sent for transcription
        self.queue: asyncio.Queue[tuple[int, np.ndarray] | None] = asyncio.Queue(TRANSCRIBE_QUEUE)
        self.worker: asyncio.Task[None] | None = None
        self.on_cues: Callable[[], Awaitable[None]] | None = None

    async def start(self, folder: JobFolder, has_audio: bool) -> None:
        """Choose the source; with "asr" start the transcription worker."""
        cues = await asyncio.to_thread(folder.cues)
        if cues is not None:
            self.source = "subtitles"
        else:
            try:
                cues = await asyncio.to_thread(embedded_cues, str(folder.video), max_cues=self.max_cues)
            except PayloadTooLarge:
                raise  # too many cues: the job fails saying so (no silent fall-back to speech)
            except InvalidInput:
                cues = None
            self.source = "embedded" if cues else ("asr" if has_audio else None)
        if self.source == "asr":
            self.worker = asyncio.create_task(self._transcribe_all())
        else:
            self.assigner.add_cues(cues or [], float("inf"))

    async def audio(self, samples: np.ndarray | None, *, last: bool = False) -> None:
        """More decoded audio; whole chunks (and with ``last`` the rest) go to transcription."""
        if self.source != "asr":
            return
        if samples is not None and len(samples):
            self.pending.append(samples)
            self.pending_len += len(samples)
        while self.pending_len >= self.chunk or (last and self.pending_len):
            audio = np.concatenate(self.pending)
            piece, rest = audio[: self.chunk], audio[self.chunk :]
            self.pending, self.pending_len = ([rest] if len(rest) else []), len(rest)
            await self.queue.put((self.sent, piece))
            self.sent += len(piece)
        if last:
            await self.queue.put(None)

    async def _transcribe_all(self) -> None:
        rate = modalities.AUDIO_RATE
        while (item := await self.queue.get()) is not None:
            start, piece = item
            offset, end = start / rate, (start + len(piece)) / rate
            cues = []
            try:
                body = await self.clients.transcribe(modalities.wav_bytes(piece))
            except DownstreamError as exc:
                self.failed.append((offset, end, f"transcription failed: {exc.reason}"))
            except Exception as exc:  # a malformed answer: this chunk's shots say so, the job goes on
                log.exception("transcription of %.0f-%.0f s failed", offset, end)
                self.failed.append((offset, end, f"transcription failed: {type(exc).__name__}"))
            else:
                for segment in body.get("segments", []):
                    text = " ".join(str(segment.get("text", "")).split())
                    if text:
                        cues.append(Cue(offset + float(segment["start"]), offset + float(segment["end"]), text))
            self.assigner.add_cues(cues, end)
            if self.on_cues is not None:
                await self.on_cues()
        self.assigner.add_cues([], float("inf"))

    def add_shots(self, shots: list[Shot]) -> None:
        self.assigner.add_shots(shots)
        self.shots.update((shot.index, shot) for shot in shots)

    async def ready(self, *, finished: bool = False) -> list[TextOutcome]:
        """Text results of the shots whose lines are final (``finished``: all shots are in)."""
        if finished and self.worker is not None:
            await self.worker
        resolved = self.assigner.ready(finished=finished)
        if not resolved:
            return []
        flat = [line for _, lines in resolved for line in lines]
        try:
            predictions = await modalities.predict_lines(self.clients, flat, batch_size=self.batch_size)
        except DownstreamError as exc:
            return [(index, None, f"text failed: {exc.reason}") for index, _ in resolved]
        out: list[TextOutcome] = []
        cursor = 0
        for index, lines in resolved:
            shot = self.shots.pop(index)
            result = modalities.text_result(self.source, lines, predictions[cursor : cursor + len(lines)])
            cursor += len(lines)
            error = next((why for a, b, why in self.failed if a < shot.end_s and b > shot.start_s), None)
            out.append((index, None, error) if error else (index, TextResult.model_validate(result), None))
        return out

    async def close(self) -> None:
        if self.worker is not None and not self.worker.done():
            self.worker.cancel()
            await asyncio.gather(self.worker, return_exceptions=True)
