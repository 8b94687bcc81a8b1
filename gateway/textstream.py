"""The text modality of a streaming job: where its lines come from, transcription in chunks, lines per shot.

The source is chosen once at the start: the sidecar subtitles' cues (parsed at
upload, read from the job folder), else the container's embedded text subtitle
stream, else the audio, transcribed in chunks of ``transcribe_chunk_s`` as the
decoder produces it (one chunk at a time, at most ``TRANSCRIBE_QUEUE`` waiting:
a decoder that runs ahead waits), else none. Shots are added as they close;
``ready()`` returns the text results of the shots whose lines are final
(``gateway.assign.LineAssigner``: whole lines), each line classified once, in batches, with
its preceding lines as context (``gateway.linecontext``: up to ``context_lines`` of the lines
classified before it, back to the first silence longer than ``context_gap_s``). A chunk whose
transcription failed makes the shots it overlaps ``text: null`` with the reason.

Languages (``gateway/languages.py``): the audio is transcribed with Whisper's English
translation, and the video's ``language`` is the one most chunks were heard in (so
far, while the job runs). Subtitles get their language identified once at the start;
when it is not English and the video has audio, the speech is transcribed alongside
in that language for its English translation only. A shot's lines and its English
lines each have their own ``LineAssigner``; a shot is ready when both are final.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from emocore.errors import InvalidInput, PayloadTooLarge
from gateway import modalities
from gateway.assign import Line, LineAssigner
from gateway.clients import ServiceClients
from gateway.downstream import DownstreamError
from gateway.embedded_subs import embedded_cues
from gateway.folder import JobFolder
from gateway.languages import ENGLISH, ShotText, segment_cues, shot_text, text_language, text_result
from gateway.linecontext import LineContext
from gateway.results import TextResult, TextSource
from gateway.shots import Shot

TRANSCRIBE_QUEUE = 1
log = logging.getLogger(__name__)
TextOutcome = tuple[int, TextResult | None, str | None]  # shot index, result, error


class TextStream:
    def __init__(
        self,
        clients: ServiceClients,
        *,
        chunk_s: float,
        batch_size: int,
        max_cues: int,
        context_lines: int,
        context_gap_s: float,
    ) -> None:
        self.clients = clients
        self.max_cues = max_cues
        self.chunk = max(1, round(chunk_s * modalities.AUDIO_RATE))
        self.batch_size = batch_size
        self.context = LineContext(context_lines, context_gap_s)  # the last lines classified
        self.source: TextSource | None = None
        self.assigner = LineAssigner()
        self.assigner_en: LineAssigner | None = None  # English lines, while the speech is translated
        self.lines: dict[int, list[Line]] = {}  # final lines of shots not yet ready
        self.lines_en: dict[int, list[Line]] = {}
        self.scored: dict[tuple[float, float, str], dict[str, Any]] = {}  # predictions of lines that cross a cut
        self.cue_language: str | None = None  # the subtitles' language
        self.heard: list[str] = []  # language of each transcribed chunk with speech
        self.untranslated: list[tuple[float, float]] = []  # spans whose translation failed
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
        if self.source != "asr":
            cues = cues or []
            self.assigner.add_cues(cues, float("inf"))
            self.cue_language = await asyncio.to_thread(text_language, [c.text for c in cues])
        if self.source == "asr" or (has_audio and self.cue_language not in (None, ENGLISH)):
            self.assigner_en = LineAssigner()
            self.worker = asyncio.create_task(self._transcribe_all())

    @property
    def language(self) -> str | None:
        """ISO 639-1 code of the video's text or speech (None: none)."""
        if self.source != "asr":
            return self.cue_language
        return max(set(self.heard), key=self.heard.count) if self.heard else None

    async def audio(self, samples: np.ndarray | None, *, last: bool = False) -> None:
        """More decoded audio; whole chunks (and with ``last`` the rest) go to transcription."""
        if self.worker is None:
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
            cues, cues_en = [], []
            asr = self.source == "asr"
            try:
                body = await self.clients.transcribe(
                    modalities.wav_bytes(piece), translate=True, language=None if asr else self.cue_language
                )
                if asr:
                    cues = segment_cues(body.get("segments", []), offset)
                    if body.get("segments"):
                        self.heard.append(str(body.get("language")))
                cues_en = segment_cues(body.get("translation") or [], offset)
            except Exception as exc:  # a malformed answer too: this chunk's shots say so, the job goes on
                reason = exc.reason if isinstance(exc, DownstreamError) else type(exc).__name__
                if not isinstance(exc, DownstreamError):
                    log.exception("transcription of %.0f-%.0f s failed", offset, end)
                if asr:
                    self.failed.append((offset, end, f"transcription failed: {reason}"))
                self.untranslated.append((offset, end))
            if asr:
                self.assigner.add_cues(cues, end)
            assert self.assigner_en is not None
            self.assigner_en.add_cues(cues_en, end)
            if self.on_cues is not None:
                await self.on_cues()
        if self.source == "asr":
            self.assigner.add_cues([], float("inf"))
        if self.assigner_en is not None:
            self.assigner_en.add_cues([], float("inf"))

    def add_shots(self, shots: list[Shot]) -> None:
        self.assigner.add_shots(shots)
        if self.assigner_en is not None:
            self.assigner_en.add_shots(shots)
        self.shots.update((shot.index, shot) for shot in shots)

    async def ready(self, *, finished: bool = False) -> list[TextOutcome]:
        """Text results of the shots whose lines are final (``finished``: all shots are in)."""
        if finished and self.worker is not None:
            await self.worker
        self.lines.update(self.assigner.ready(finished=finished))
        if self.assigner_en is not None:
            self.lines_en.update(self.assigner_en.ready(finished=finished))
        indices = []
        for index in sorted(self.lines):  # both assigners resolve shots in order
            if self.assigner_en is not None and index not in self.lines_en:
                break
            indices.append(index)
        if not indices:
            return []
        taken = [(i, self.lines.pop(i), self.lines_en.pop(i, None)) for i in indices]  # before any await
        resolved = await asyncio.to_thread(lambda: [(i, self._shot_text(i, a, b)) for i, a, b in taken])  # langid
        fresh = sorted({line.key for _, text in resolved for line in text.to_classify if line.key not in self.scored})
        contexts = self.context.add(fresh)  # before any await: a concurrent call sees these lines
        try:
            predictions = await modalities.predict_lines(
                self.clients, [text for _, _, text in fresh], batch_size=self.batch_size, contexts=contexts
            )
        except DownstreamError as exc:
            for index in indices:
                self.shots.pop(index)
            return [(index, None, f"text failed: {exc.reason}") for index in indices]
        self.scored.update(zip(fresh, predictions, strict=True))
        out: list[TextOutcome] = []
        done_s = 0.0  # every shot up to here is resolved
        for index, text in resolved:
            shot = self.shots.pop(index)
            done_s = shot.end_s
            lines = text.to_classify
            base = modalities.text_result(self.source, lines, [self.scored[line.key] for line in lines])
            result = text_result(base, text)
            error = next((why for a, b, why in self.failed if a < shot.end_s and b > shot.start_s), None)
            out.append((index, None, error) if error else (index, TextResult.model_validate(result), None))
        self.scored = {key: p for key, p in self.scored.items() if key[1] > done_s}  # a line can reach a later shot
        return out

    def _shot_text(self, index: int, lines: list[Line], lines_en: list[Line] | None) -> ShotText:
        """Shot ``index``'s final lines with their language and the English lines to classify."""
        shot = self.shots[index]
        if self.language in (None, ENGLISH) or any(a < shot.end_s and b > shot.start_s for a, b in self.untranslated):
            lines_en = None
        return shot_text(lines, lines_en, self.source, self.language)

    async def close(self) -> None:
        if self.worker is not None and not self.worker.done():
            self.worker.cancel()
            await asyncio.gather(self.worker, return_exceptions=True)
