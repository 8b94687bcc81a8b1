"""Face service settings (env prefix ``EMO_FACE_``; shared ones keep ``EMO_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from emocore.settings import ServiceSettings
from services.face.detector import FACE_PX, MAX_SIDE, MIN_FACE, MIN_FACE_PX


class FaceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EMO_FACE_", extra="ignore")

    model_name: str = "face_emotion"  # the emotion classifier
    detector_model_name: str = "face_detector"
    detector_batch_size: int = 16  # frames per detector call
    detector_max_side: int = MAX_SIDE  # frames are detected at most this long
    detector_face_px: int = FACE_PX  # frames are detected scaled so the smallest face is this wide
    detector_threshold: float = 0.5  # face-centre probability
    min_face: float = MIN_FACE  # smallest face reported: this fraction of the shorter side ...
    min_face_px: int = MIN_FACE_PX  # ... or this many pixels, whichever is larger
    max_files: int = 256  # frames per request
    max_file_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 40_000_000  # above: rejected before decoding (bombs)
    max_request_pixels: int = 64_000_000  # all frames of one request; above: 413 before decoding
    batch_size: int = 64  # face crops per inference call
    crop_margin: float = 0.1  # context around a detected box, as a fraction of its side (fer: 10 px)
