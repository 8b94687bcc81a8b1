"""One good and one bad request per service, so that every labelled series exists.

The services run as real processes (tests.deploy.live); the requests follow the HTTP
contracts in ARCHITECTURE.md and use real inputs (a real photo, real speech-band audio).
"""

from __future__ import annotations

import io

import httpx
import numpy as np
import soundfile

from devtools.samples import skimage_image
from emocore.labels import LABELS

# service name (devtools.serve.APPS) -> env prefix of a service that infers through Triton, or None
SERVICES: dict[str, str | None] = {
    "face": "EMO_FACE_",
    "text": "EMO_TEXT_",
    "audio": "EMO_AUDIO_",
    "fusion": None,
}
GATEWAY_PREFIX = "EMO_GATEWAY_"


def _wav(seconds: float = 1.5, rate: int = 16000) -> bytes:
    """A voiced, vowel-like tone with harmonics (real audio the decoder must read)."""
    t = np.arange(int(seconds * rate)) / rate
    wave = np.sum([np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8)], axis=0)
    buffer = io.BytesIO()
    soundfile.write(buffer, (0.2 * wave).astype(np.float32), rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _scores() -> dict[str, float]:
    return {label: (0.4 if label == "happiness" else 0.1) for label in LABELS}


def exercise(name: str, url: str, headers: dict[str, str] | None = None) -> list[int]:
    """Send the requests; returns their status codes (the caller asserts on them)."""
    with httpx.Client(base_url=url, timeout=120, headers=headers) as client:
        if name == "face":
            image = skimage_image("astronaut.png").read_bytes()
            good = client.post("/v1/predict", files=[("files", ("a.png", image, "image/png"))])
            bad = client.post("/v1/predict", files=[("files", ("a.png", b"not a png", "image/png"))])
        elif name == "text":
            good = client.post("/v1/predict", json={"texts": ["What a wonderful surprise!"]})
            bad = client.post("/v1/predict", json={"texts": "not a list"})
        elif name == "audio":
            good = client.post("/v1/predict", content=_wav(), headers={"Content-Type": "audio/wav"})
            bad = client.post("/v1/predict", content=b"RIFF0000", headers={"Content-Type": "audio/wav"})
        elif name == "fusion":
            shot = {"face": {"scores": _scores()}, "text": None, "audio": None}
            good = client.post("/v1/fuse", json={"shots": [shot]})
            bad = client.post("/v1/fuse", json={"shots": "none"})
        elif name == "gateway":
            good = client.get("/v1/videos/00000000000000000000000000000000")  # 404: a real answer
            bad = client.post("/v1/videos", files={"video": ("x.mp4", b"not a video", "video/mp4")})
        else:
            raise ValueError(name)
    return [good.status_code, bad.status_code]
