"""Face service metrics: the shared families plus faces found per frame."""

from __future__ import annotations

from prometheus_client import Histogram

from emocore.metrics import ServiceMetrics


class FaceMetrics(ServiceMetrics):
    def __init__(self) -> None:
        super().__init__("face")
        self.faces_per_frame = Histogram(
            "emo_face_faces_per_frame",
            "Faces detected per frame.",
            buckets=(0, 1, 2, 3, 5, 8, 13, 21),
            registry=self.registry,
        )
