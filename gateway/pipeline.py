"""The gateway's job processor: holds what jobs share (shot detector, clients, settings), runs each one.

A job is streamed from its video file by ``gateway.jobrun.JobRun`` (decode in
chunks -> shots as they close -> face, audio, text and fusion per shot ->
results written as they finish). The video's facts come with the job (probed
once, at upload); a job queued by an older gateway without them is probed here.
The audio track is chosen here (``gateway.audiotracks``), before decoding starts.
A modality that fails for a shot becomes ``null`` with ``errors[modality]`` set;
fusion then uses what is left. Only a video that cannot be read fails the job.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gateway import audiotracks
from gateway.clients import ServiceClients
from gateway.folder import JobFolder
from gateway.jobrun import JobRun
from gateway.jobs import Job
from gateway.metrics import GatewayMetrics
from gateway.probe import VideoInfo, probe
from gateway.runner import JobReport
from gateway.settings import GatewaySettings
from gateway.shots import ShotDetector, create_detector


class Pipeline:
    def __init__(self, settings: GatewaySettings, clients: ServiceClients, metrics: GatewayMetrics) -> None:
        self.settings = settings
        self.clients = clients
        self.metrics = metrics
        self.shot_settings = settings.shots
        self.detector_name = settings.shots.detector_name()
        self._detector: ShotDetector | None = None

    def detector(self) -> ShotDetector:
        """The shot detector, created on first use and kept (its model stays loaded)."""
        if self._detector is None:
            self._detector = create_detector(self.detector_name, service=self.settings, settings=self.shot_settings)
        return self._detector

    async def close(self) -> None:
        if self._detector is not None:
            await self._detector.close()
            self._detector = None

    async def __call__(self, job: Job, folder: JobFolder, report: JobReport) -> dict[str, Any]:
        facts = job.options.get("probe")
        info = VideoInfo.from_dict(facts) if isinstance(facts, dict) else await asyncio.to_thread(probe, folder.video)
        track = await audiotracks.choose(self.clients, folder.video, job.options.get("audio_track"))
        return await JobRun(self, folder, info, report, track).run()
