"""Audio service metrics: the shared families plus segments by speech outcome."""

from __future__ import annotations

from prometheus_client import Counter

from emocore.metrics import ServiceMetrics


class AudioMetrics(ServiceMetrics):
    def __init__(self) -> None:
        super().__init__("audio")
        self.segments = Counter(
            "emo_audio_segments_total",
            "Segments judged by /v1/predict, by whether speech was found.",
            ["speech"],
            registry=self.registry,
        )
