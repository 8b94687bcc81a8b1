"""One job end to end: probe, decode once, cut into shots, fan out per shot, fuse.

Stages: probe -> decode (single pass: small frames, JPEG samples, 16 kHz audio) ->
shots -> per shot, at most ``shot_concurrency`` at once: face (sampled frames, in
batches) and audio (the shot's WAV) -> text (sidecar subtitles, else embedded
subtitle stream, else one transcription of the whole audio; lines assigned to shots
and classified in batches across shots; runs alongside the per-shot work) ->
fusion of all shots. A modality that fails for a shot becomes ``null`` with
``errors[modality]`` set; fusion then uses what is left. Only a video that cannot
be read fails the job.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from pathlib import Path
from typing import Any

from emocore.errors import InvalidInput, PayloadTooLarge
from gateway import modalities, thumbnails
from gateway.clients import ServiceClients
from gateway.decode import DecodedVideo, decode_video, probe
from gateway.downstream import DownstreamError
from gateway.embedded_subs import embedded_cues
from gateway.jobs import Job
from gateway.languages import (
    ENGLISH,
    VideoText,
    shot_texts,
    text_language,
    text_result,
    transcribe_speech,
)
from gateway.metrics import GatewayMetrics
from gateway.runner import Progress
from gateway.settings import GatewaySettings
from gateway.shots import Shot, ShotDetector, create_detector, detect_shots
from gateway.subtitles import Cue, parse
from gateway.uploads import FILE_FIELDS


class Pipeline:
    def __init__(self, settings: GatewaySettings, clients: ServiceClients, metrics: GatewayMetrics) -> None:
        self.settings = settings
        self.clients = clients
        self.metrics = metrics
        self.detector_name = settings.shots.detector_name(settings.triton_url)
        self._detector: ShotDetector | None = None

    def detector(self) -> ShotDetector:
        """The shot detector, created on first use and kept (its model stays loaded)."""
        if self._detector is None:
            self._detector = create_detector(
                self.detector_name, service=self.settings, settings=self.settings.shots
            )
        return self._detector

    async def close(self) -> None:
        if self._detector is not None:
            await self._detector.close()
            self._detector = None

    async def _shots(self, decoded: DecodedVideo) -> list[Shot]:
        started = time.perf_counter()
        try:
            return await detect_shots(
                decoded.small_frames,
                decoded.info.fps,
                self.detector(),
                timestamps=decoded.timestamps,
                settings=self.settings.shots,
            )
        finally:
            self.metrics.stage_duration.labels("shots").observe(time.perf_counter() - started)

    async def _stage(self, stage: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await asyncio.to_thread(func, *args, **kwargs)
        finally:
            self.metrics.stage_duration.labels(stage).observe(time.perf_counter() - started)

    async def __call__(self, job: Job, folder: Path, progress: Progress) -> dict[str, Any]:
        s = self.settings
        started = time.perf_counter()
        video = folder / FILE_FIELDS["video"]
        await self._stage("probe", probe, video)
        progress(0.02)
        decoded: DecodedVideo = await self._stage("decode", decode_video, video, sample_fps=s.sample_fps)
        progress(0.2)
        # The text source (and a transcription) needs no shots: start it before detecting them.
        cues_task = asyncio.create_task(self._all_cues(folder, decoded))
        try:
            shots = await self._shots(decoded)
        except BaseException:
            cues_task.cancel()
            raise
        progress(0.3)
        text_task = asyncio.create_task(self._texts(cues_task, shots))
        gate = asyncio.Semaphore(max(1, s.shot_concurrency))
        done = 0

        async def one(index: int, shot: Shot) -> tuple[dict[str, Any], dict[str, str]]:
            nonlocal done
            async with gate:
                outcome = await self._shot(decoded, shot)
                await asyncio.to_thread(thumbnails.save, folder, video, index, decoded.samples, shot)
            done += 1
            progress(0.3 + 0.6 * done / len(shots))
            return outcome

        try:
            per_shot = await asyncio.gather(*(one(index, shot) for index, shot in enumerate(shots)))
            video_text, texts, text_error = await text_task
        finally:
            text_task.cancel()
            cues_task.cancel()
        results = []
        for index, (shot, (parts, errors)) in enumerate(zip(shots, per_shot, strict=True)):
            text = texts[index] if texts else None
            if text_error:
                errors["text"] = text_error
            results.append({"index": index, **self._span(shot), **parts, "text": text, "errors": errors})
        await self._fuse(results)
        progress(1.0)
        for shot_result in results:
            if not shot_result["errors"]:
                del shot_result["errors"]
        info = decoded.info
        self.metrics.video_seconds.inc(info.duration_s)
        self.metrics.shots.inc(len(shots))
        return {
            "video": {
                "duration_s": round(info.duration_s, 3),
                "fps": round(info.fps, 3),
                "width": info.width,
                "height": info.height,
                "frames": info.frame_count,
                "has_audio": info.has_audio,
                "complete": decoded.complete,
            },
            "language": video_text.language,
            "text_source": video_text.source,
            "settings": {
                "sample_fps": s.sample_fps,
                "face_aggregation": s.face_aggregation,
                "shot_detector": self.detector_name,
            },
            "processing_s": round(time.perf_counter() - started, 3),
            "shots": results,
        }

    @staticmethod
    def _span(shot: Shot) -> dict[str, Any]:
        return {
            "start_frame": int(shot.start_frame),
            "end_frame": int(shot.end_frame),
            "start_s": round(float(shot.start_s), 3),
            "end_s": round(float(shot.end_s), 3),
            "transition": str(shot.transition),
            "confidence": round(float(shot.confidence), 3),
        }

    async def _shot(self, decoded: DecodedVideo, shot: Shot) -> tuple[dict[str, Any], dict[str, str]]:
        """Face and audio results of one shot, and the reasons of those that failed."""
        s = self.settings
        indices = [sample.index for sample in decoded.samples]
        lo = bisect.bisect_left(indices, shot.start_frame)
        hi = bisect.bisect_right(indices, shot.end_frame)
        jpegs = [sample.jpeg for sample in decoded.samples[lo:hi]]
        errors: dict[str, str] = {}

        async def face() -> dict[str, Any] | None:
            try:
                result = await modalities.face_result(
                    self.clients, jpegs, batch_size=s.face_batch_size, rule=s.face_aggregation
                )
            except DownstreamError as exc:
                errors["face"] = exc.reason
                return None
            self.metrics.frames.inc(len(jpegs))
            return result

        async def audio() -> dict[str, Any] | None:
            if decoded.audio is None:
                return modalities.no_speech("the video has no audio track")
            if shot.end_s - shot.start_s < s.min_audio_seconds:
                return modalities.no_speech(f"shot shorter than {s.min_audio_seconds} s")
            rate = modalities.AUDIO_RATE
            segment = decoded.audio[round(shot.start_s * rate) : round(shot.end_s * rate)]
            try:
                return await modalities.audio_result(self.clients, segment)
            except DownstreamError as exc:
                errors["audio"] = exc.reason
                return None

        face_out, audio_out = await asyncio.gather(face(), audio())
        return {"face": face_out, "audio": audio_out}, errors

    async def _cues(self, folder: Path, decoded: DecodedVideo) -> tuple[str | None, list[Cue] | None]:
        """The text source and its cues (None: to be transcribed from the audio)."""
        sidecar = folder / FILE_FIELDS["subtitles"]
        if sidecar.is_file():
            s = self.settings
            data = sidecar.read_bytes()
            cues = await asyncio.to_thread(  # off the event loop
                parse, data, max_bytes=s.max_subtitle_bytes, max_cues=s.max_subtitle_cues
            )
            return "subtitles", cues
        try:
            embedded = await asyncio.to_thread(
                embedded_cues, str(folder / FILE_FIELDS["video"]), max_cues=self.settings.max_subtitle_cues
            )
        except PayloadTooLarge:
            raise  # too many cues: the job fails saying so (no silent fall-back to speech)
        except InvalidInput:
            embedded = None
        if embedded:
            return "embedded", embedded
        if decoded.audio is None:
            return None, []
        return "asr", None

    async def _transcribe(self, decoded: DecodedVideo, language: str | None = None) -> VideoText:
        assert decoded.audio is not None
        return await transcribe_speech(self.clients, decoded.audio, language=language)

    async def _all_cues(self, folder: Path, decoded: DecodedVideo) -> tuple[VideoText, str | None]:
        """The video's text (source, cues, language), and the reason when it could not be had."""
        source, cues = await self._cues(folder, decoded)
        if cues is not None:
            language = await asyncio.to_thread(text_language, [c.text for c in cues])
            return VideoText(source, cues, language, await self._speech_translation(decoded, language)), None
        try:
            return await self._transcribe(decoded), None
        except DownstreamError as exc:
            return VideoText(source, [], None), f"transcription failed: {exc.reason}"

    async def _speech_translation(self, decoded: DecodedVideo, language: str | None) -> list[Cue] | None:
        """English translation of the speech, for subtitles in another language (None: none)."""
        if language in (None, ENGLISH) or decoded.audio is None:
            return None
        try:
            return (await self._transcribe(decoded, language)).cues_en
        except DownstreamError:
            return None

    async def _texts(
        self, cues_task: asyncio.Task[tuple[VideoText, str | None]], shots: list[Shot]
    ) -> tuple[VideoText, list[dict[str, Any]] | None, str | None]:
        """The video's text, per-shot text results (None when the modality failed) and the reason."""
        text, error = await cues_task
        if error:
            return text, None, error
        per_shot = await asyncio.to_thread(shot_texts, text, shots)  # off the event loop
        flat = [line for shot in per_shot for line in shot.to_classify]
        try:
            predictions = await modalities.predict_lines(
                self.clients, flat, batch_size=self.settings.text_batch_size
            )
        except DownstreamError as exc:
            return text, None, f"text failed: {exc.reason}"
        results, cursor = [], 0
        for shot in per_shot:
            lines = shot.to_classify
            base = modalities.text_result(text.source, lines, predictions[cursor : cursor + len(lines)])
            results.append(text_result(base, shot))
            cursor += len(lines)
        return text, results, None

    async def _fuse(self, results: list[dict[str, Any]]) -> None:
        """Set ``fused`` on every shot (null with errors["fused"] when fusion is unavailable)."""
        size = max(1, self.settings.fusion_batch_size)
        for start in range(0, len(results), size):
            batch = results[start : start + size]
            payload = [{m: _scores(shot[m]) for m in ("face", "text", "audio")} for shot in batch]
            try:
                fused = await self.clients.fuse(payload) if batch else []
            except DownstreamError as exc:
                for shot in batch:
                    shot["fused"] = None
                    shot["errors"]["fused"] = exc.reason
                continue
            for shot, judgement in zip(batch, fused, strict=True):
                shot["fused"] = judgement


def _scores(modality: dict[str, Any] | None) -> dict[str, Any] | None:
    if modality is None or modality.get("scores") is None:
        return None
    return {"scores": modality["scores"]}
