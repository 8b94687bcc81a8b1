"""Shot segmentation: one detector interface, four detectors, shots with length limits.

Detectors (``create_detector(name)``; all read the 48x27 RGB frames that
``gateway.decode.decode_video`` produces, nothing is decoded twice):
- ``content`` / ``adaptive``: PySceneDetect's ContentDetector / AdaptiveDetector
  (fast; hard cuts only);
- ``transnetv2``: TransNetV2 over every frame through the inference backend
  (Triton or embedded ONNX Runtime); the default when a Triton URL is set;
- ``cascade``: cheap signals over every frame, TransNetV2 only around uncertain
  candidates; the default on CPU.

Use::

    shots = detect(decode_video(path))                       # blocking, default detector
    shots = await detect_shots(frames, fps, default_detector(gateway_settings),
                               settings=gateway_settings.shots)
    stream = ShotStream(detector, fps)                       # a job: frames pushed as decoded,
    final = await stream.push(frames, times)                 # final shots out as the window passes

Each ``Shot`` has ``start_frame``/``end_frame`` (inclusive), ``start_s``/``end_s``,
``transition`` ("start", "cut", "gradual", "split") and ``confidence``.
See docs/shots.md.
"""

from __future__ import annotations

from gateway.shots.api import detect, detect_shots
from gateway.shots.base import Boundary, Shot, ShotDetector
from gateway.shots.factory import (
    DETECTORS,
    create_detector,
    default_detector,
)
from gateway.shots.settings import ShotSettings
from gateway.shots.stream import BoundaryStream, ShotStream
from gateway.shots.timeline import ShotTimeline, build_shots

__all__ = [
    "DETECTORS",
    "Boundary",
    "BoundaryStream",
    "Shot",
    "ShotDetector",
    "ShotSettings",
    "ShotStream",
    "ShotTimeline",
    "build_shots",
    "create_detector",
    "default_detector",
    "detect",
    "detect_shots",
]
