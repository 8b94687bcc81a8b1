"""A job's folder: the one object that knows where a job's files are and removes them.

``data_dir/jobs/<id>/`` holds the uploaded video, the subtitles as sent and, once
parsed at upload, their cues as JSON (so the job never parses them again).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from gateway.subtitles import Cue
from gateway.uploads import FILE_FIELDS


@dataclass(frozen=True)
class JobFolder:
    root: Path

    @classmethod
    def of(cls, data_dir: Path, job_id: str) -> JobFolder:
        return cls(data_dir / "jobs" / job_id)

    @property
    def video(self) -> Path:
        return self.root / FILE_FIELDS["video"]

    @property
    def subtitles(self) -> Path:
        return self.root / FILE_FIELDS["subtitles"]

    @property
    def cues_file(self) -> Path:
        return self.root / "cues.json"

    def create(self) -> None:
        self.root.mkdir(parents=True)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def save_cues(self, cues: list[Cue]) -> None:
        self.cues_file.write_text(json.dumps([asdict(cue) for cue in cues]))

    def cues(self) -> list[Cue] | None:
        """The sidecar subtitles' cues as parsed at upload; None when none were sent."""
        if not self.cues_file.is_file():
            return None
        return [Cue(**item) for item in json.loads(self.cues_file.read_text())]
