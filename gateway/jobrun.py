"""One job, streamed: decode in chunks, shots as they close, modalities and fusion per shot.

The decoder runs in a worker thread one chunk ahead (``decode_chunk_frames``
frames). Each chunk's 48x27 frames go to ``ShotStream`` (a window of
``window_frames`` + context frames slides along the video); a shot is final once
the detector has passed its end, and at once its JPEG samples and its audio go
to the face and audio services, and its thumbnail is saved (``shot_concurrency`` shots in flight: when they
are all busy the decoder waits, so memory does not grow with the video). The
text side (``TextStream``) transcribes in chunks alongside and gives each shot
its lines once they are final; a shot with all three is fused and written to the
job store, where ``GET /v1/videos/{id}`` shows it while the job runs.
Only the kept window is in memory: samples and audio from the first shot not yet
sent, the open transcription chunk, and the small results of finished shots.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from emocore import memory
from gateway import modalities, thumbnails
from gateway.audiobuffer import AudioBuffer
from gateway.audiotracks import Choice
from gateway.decode import Chunk, End, SampledFrame, stream_video
from gateway.downstream import DownstreamError
from gateway.folder import JobFolder
from gateway.probe import VideoInfo
from gateway.results import (
    AudioResult,
    FaceResult,
    FusedResult,
    JobResult,
    ShotResult,
    VideoFacts,
)
from gateway.runner import JobReport
from gateway.shots import Shot
from gateway.shots.stream import ShotStream
from gateway.shotstate import ShotState
from gateway.textstream import TextStream

if TYPE_CHECKING:
    from gateway.pipeline import Pipeline


AUDIO_LAG_S = 30.0


def _next(chunks: Generator[Chunk, None, End]) -> tuple[Chunk | End, float]:
    """The next chunk (or the end) and the seconds it took to decode."""
    started = time.perf_counter()
    try:
        item: Chunk | End = next(chunks)
    except StopIteration as stop:
        item = stop.value
    return item, time.perf_counter() - started


class JobRun:
    def __init__(self, pipeline: Pipeline, folder: JobFolder, info: VideoInfo, report: JobReport, track: Choice | None = None) -> None:
        s = self.settings = pipeline.settings
        self.pipeline, self.clients, self.metrics = pipeline, pipeline.clients, pipeline.metrics
        self.folder, self.info, self.report = folder, info, report
        self.track = track  # the audio track to analyse (gateway.audiotracks); None: the first
        shot_settings = pipeline.shot_settings
        self.shots = ShotStream(
            pipeline.detector(), info.fps, block=s.window_frames, context=s.window_context_frames,
            min_shot_s=shot_settings.min_shot_s, max_shot_s=shot_settings.max_shot_s,
        )
        self.text = TextStream(
            self.clients, chunk_s=s.transcribe_chunk_s, batch_size=s.text_batch_size, max_cues=s.max_subtitle_cues,
            context_lines=s.text_context_lines, context_gap_s=s.text_context_gap_s,
        )
        self.text.on_cues = self._resolve_text
        self.samples: deque[SampledFrame] = deque()
        self.waiting: deque[Shot] = deque()  # final shots waiting for their audio
        self.audio = AudioBuffer()
        self.gate = asyncio.Semaphore(max(1, s.shot_concurrency))
        self.states: dict[int, ShotState] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.failure: BaseException | None = None
        self.finished: list[ShotResult] = []
        self.ends: dict[int, float] = {}  # finished shots past the first unfinished one
        self.prefix = 0  # index of the first unfinished shot
        self.processed_s = 0.0
        self.decoded_s = 0.0
        self.detecting = 0.0  # seconds spent in shot detection

    async def run(self) -> dict[str, Any]:
        s, started = self.settings, time.perf_counter()
        await self.text.start(self.folder, self.info.has_audio)
        self.report.started(self._head(partial=True).dump())
        chunks = stream_video(
            self.folder.video, chunk_frames=s.decode_chunk_frames, sample_fps=s.sample_fps,
            max_seconds=s.max_video_seconds, audio_track=self.track.index if self.track else 0,
        )
        ahead: asyncio.Task[tuple[Chunk | End, float]] | None = None
        decoding = 0.0
        try:
            ahead = asyncio.create_task(asyncio.to_thread(_next, chunks))
            while True:
                item, seconds = await ahead
                decoding += seconds
                if isinstance(item, End):
                    break
                ahead = asyncio.create_task(asyncio.to_thread(_next, chunks))
                await self._chunk(item)
            end = item
            self.metrics.stage_duration.labels("decode").observe(decoding)
            self.waiting.extend(await self._timed(self.shots.finish()))
            self.metrics.stage_duration.labels("shots").observe(self.detecting)
            await self._send(decoded=True)
            await self.text.audio(None, last=True)
            await self._resolve_text(finished=True)
            while self.tasks:
                await asyncio.gather(*self.tasks)
            self._check()
        finally:
            await self._stop(chunks, ahead)
        self.metrics.video_seconds.inc(end.info.duration_s)
        self.metrics.shots.inc(len(self.finished))
        result = self._head(partial=False, info=end.info, complete=end.complete)
        result.processing_s = round(time.perf_counter() - started, 3)
        result.shots = sorted(self.finished, key=lambda r: r.index)
        return result.dump()

    def _head(self, *, partial: bool, info: VideoInfo | None = None, complete: bool | None = None) -> JobResult:
        info = info or self.info
        video = VideoFacts(
            duration_s=round(info.duration_s, 3), fps=round(info.fps, 3), width=info.width, height=info.height,
            frames=info.frame_count, has_audio=info.has_audio, interlaced=info.interlaced,
        )
        if complete is not None:
            video.complete = complete
        s = self.settings
        settings = {"sample_fps": s.sample_fps, "face_aggregation": s.face_aggregation,
                    "shot_detector": self.pipeline.detector_name}
        head = JobResult(
            video=video, language=self.text.language, text_source=self.text.source, settings=settings, shots=[],
            audio_track=self.track.described if self.track else None,
        )
        if partial:
            head.partial, head.processed_s = True, 0.0
        return head

    async def _timed(self, work: Any) -> Any:
        """Await shot detection work, adding its time to the job's "shots" stage."""
        started = time.perf_counter()
        try:
            return await work
        finally:
            self.detecting += time.perf_counter() - started

    async def _stop(self, chunks: Generator[Chunk, None, End], ahead: asyncio.Task[Any] | None) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.text.close()
        if ahead is not None:
            await asyncio.gather(ahead, return_exceptions=True)
        await asyncio.to_thread(chunks.close)

    def _check(self) -> None:
        if self.failure is not None:
            raise self.failure

    async def _chunk(self, chunk: Chunk) -> None:
        self._check()
        self.samples.extend(chunk.samples)
        if chunk.audio is not None:
            self.audio.append(chunk.audio)
        if len(chunk.timestamps):
            self.decoded_s = float(chunk.timestamps[-1])
        await self.text.audio(chunk.audio)
        self.waiting.extend(await self._timed(self.shots.push(chunk.small_frames, chunk.timestamps)))
        await self._send()
        await self._resolve_text()
        memory.release()  # the chunk's frames and the pieces sent on are garbage now

    async def _send(self, *, decoded: bool = False) -> None:
        """Send the final shots whose audio has been decoded.

        A shot waits for its audio while the audio lags the video by less than
        ``AUDIO_LAG_S`` (a file that stores its audio far from its video, or whose
        audio ends early, does not hold shots back longer).
        """
        rate = modalities.AUDIO_RATE
        while self.waiting:
            shot = self.waiting[0]
            heard = self.audio.end / rate
            if not (decoded or not self.info.has_audio or heard >= shot.end_s or self.decoded_s - heard > AUDIO_LAG_S):
                break
            await self._dispatch(self.waiting.popleft())

    async def _dispatch(self, shot: Shot) -> None:
        """Send a final shot's samples and audio (waits while ``shot_concurrency`` shots are in flight)."""
        if self.gate.locked():  # the shots in flight may be waiting for their text: give it first
            await self._resolve_text()
        await self.gate.acquire()
        samples = []
        while self.samples and self.samples[0].index <= shot.end_frame:
            sample = self.samples.popleft()
            if sample.index >= shot.start_frame:
                samples.append(sample)  # samples[0]: the shot's first sampled frame
        rate = modalities.AUDIO_RATE
        segment = self.audio.slice(round(shot.start_s * rate), round(shot.end_s * rate))
        self.audio.drop_before(round(shot.end_s * rate))
        state = self.states[shot.index] = ShotState(shot)
        self.text.add_shots([shot])
        task = asyncio.create_task(self._media(state, samples, segment))
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self.failure is None:
            self.failure = task.exception()

    async def _media(self, state: ShotState, samples: list[SampledFrame], segment: np.ndarray) -> None:
        """Face and audio of a final shot, and its thumbnail (saved before the shot is published)."""
        shot, jpegs = state.shot, [sample.jpeg for sample in samples]
        try:
            state.face, state.audio, _ = await asyncio.gather(
                self._face(state, jpegs),
                self._audio(state, segment),
                asyncio.to_thread(thumbnails.save, self.folder.root, self.folder.video, shot.index, samples, shot),
            )
        finally:
            self.gate.release()
        state.media_done = True
        await self._complete([state])

    async def _face(self, state: ShotState, jpegs: list[bytes]) -> FaceResult | None:
        s = self.settings
        try:
            result = await modalities.face_result(
                self.clients, jpegs, batch_size=s.face_batch_size, rule=s.face_aggregation
            )
        except DownstreamError as exc:
            state.errors["face"] = exc.reason
            return None
        self.metrics.frames.inc(len(jpegs))
        return FaceResult.model_validate(result)

    async def _audio(self, state: ShotState, segment: np.ndarray) -> AudioResult | None:
        shot, s = state.shot, self.settings
        if not self.info.has_audio:
            return AudioResult.model_validate(modalities.no_speech("the video has no audio track"))
        if shot.end_s - shot.start_s < s.min_audio_seconds:
            return AudioResult.model_validate(modalities.no_speech(f"shot shorter than {s.min_audio_seconds} s"))
        if not len(segment):
            return AudioResult.model_validate(modalities.no_speech("the audio track has no sound for this shot"))
        try:
            return AudioResult.model_validate(await modalities.audio_result(self.clients, segment))
        except DownstreamError as exc:
            state.errors["audio"] = exc.reason
            return None

    async def _resolve_text(self, *, finished: bool = False) -> None:
        states = []
        for index, result, error in await self.text.ready(finished=finished):
            state = self.states[index]
            state.text, state.text_done = result, True
            if error:
                state.errors["text"] = error
            states.append(state)
        await self._complete(states)

    async def _complete(self, states: list[ShotState]) -> None:
        """Fuse the shots that have all their modalities, then record them as finished."""
        ready = [st for st in states if st.media_done and st.text_done and not st.fusing]
        for st in ready:
            st.fusing = True
        size = max(1, self.settings.fusion_batch_size)
        for begin in range(0, len(ready), size):
            batch = ready[begin : begin + size]
            payload = [st.fusion_input() for st in batch]
            try:
                fused: list[FusedResult | None] = [FusedResult.model_validate(f) for f in await self.clients.fuse(payload)]
            except DownstreamError as exc:
                fused = [None] * len(batch)
                for st in batch:
                    st.errors["fused"] = exc.reason
            self._finish([st.result(f) for st, f in zip(batch, fused, strict=True)])

    def _finish(self, results: list[ShotResult]) -> None:
        """Record finished shots: in the job store at once, progress in video time analysed."""
        for result in results:
            del self.states[result.index]
            self.ends[result.index] = result.end_s
        while self.prefix in self.ends:  # video time up to which every shot is finished
            self.processed_s = self.ends.pop(self.prefix)
            self.prefix += 1
        self.finished += results
        self.report.shots(results)
        duration = max(self.info.duration_s, self.decoded_s, 1e-6)
        self.report.progress(min(0.99, self.processed_s / duration), self.processed_s)
