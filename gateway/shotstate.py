"""A shot of a running job while its modalities come in, and the ``ShotResult`` it becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.results import AudioResult, FaceResult, FusedResult, ShotResult, TextResult
from gateway.shots import Shot


@dataclass
class ShotState:
    shot: Shot
    face: FaceResult | None = None
    audio: AudioResult | None = None
    text: TextResult | None = None
    errors: dict[str, str] = field(default_factory=dict)
    media_done: bool = False
    text_done: bool = False
    fusing: bool = False

    def fusion_input(self) -> dict[str, Any]:
        """The shot's entry in a fusion request: each modality's scores, or null."""
        return {name: _scores(section) for name, section in (("face", self.face), ("text", self.text), ("audio", self.audio))}

    def result(self, fused: FusedResult | None) -> ShotResult:
        shot = self.shot
        result = ShotResult(
            index=shot.index, start_frame=int(shot.start_frame), end_frame=int(shot.end_frame),
            start_s=round(float(shot.start_s), 3), end_s=round(float(shot.end_s), 3), transition=shot.transition,
            confidence=round(float(shot.confidence), 3), face=self.face, text=self.text, audio=self.audio,
            fused=fused,
        )
        if self.errors:
            result.errors = dict(self.errors)
        return result


def _scores(section: FaceResult | TextResult | AudioResult | None) -> dict[str, Any] | None:
    if section is None or section.scores is None:
        return None
    return {"scores": section.scores}
