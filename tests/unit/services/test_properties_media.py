"""Property-based tests of the byte-level media decoders of the face and audio services.

``services.face.images.decode_rgb`` and ``services.audio.decode.decode`` take what a
caller uploads; for any bytes (random, or a real file with bytes flipped or cut) they
return samples or raise the ``InvalidInput`` family (-> 4xx), never anything else.
"""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.media import encode
from emocore.errors import InvalidInput
from services.audio.decode import decode
from services.face.images import decode_rgb

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

IMAGE = np.random.default_rng(0).integers(0, 256, (24, 32, 3), dtype=np.uint8)
IMAGES = {"image/jpeg": encode(IMAGE, "JPEG"), "image/png": encode(IMAGE, "PNG")}


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes((np.sin(np.arange(1600) * 0.1) * 8000).astype("<i2").tobytes())
    return buffer.getvalue()


WAV = wav()


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with a few bytes overwritten, then maybe cut short."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(1, len(data)))])


def face(data: bytes, content_type: str) -> None:
    try:
        rgb = decode_rgb(data, filename="f", content_type=content_type, max_bytes=1 << 20, max_pixels=1 << 16)
    except InvalidInput:
        return
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3


@FAST
@given(st.binary(max_size=512), st.sampled_from([*IMAGES, "image/gif", ""]))
def test_face_decoder_on_random_bytes(data: bytes, content_type: str) -> None:
    face(data, content_type)


@pytest.mark.parametrize("content_type", list(IMAGES))
@FAST
@given(data=st.data())
def test_face_decoder_on_damaged_images(content_type: str, data: st.DataObject) -> None:
    face(data.draw(damaged(IMAGES[content_type])), content_type)


def audio(data: bytes) -> None:
    try:
        decoded = decode(data, "audio/wav", max_bytes=1 << 20, max_duration_s=5.0)
    except InvalidInput:
        return
    assert decoded.samples.dtype == np.float32 and np.isfinite(decoded.samples).all()


@FAST
@given(st.binary(max_size=512))
def test_audio_decoder_on_random_bytes(data: bytes) -> None:
    audio(data)


@FAST
@given(damaged(WAV))
def test_audio_decoder_on_damaged_wav(data: bytes) -> None:
    audio(data)


def test_a_wav_chunk_that_claims_more_bytes_than_the_file_is_a_400_not_a_crash() -> None:
    # The wave module raises a bare RuntimeError when a chunk's size runs past the end.
    bad = WAV[:12] + b"LIST" + (10**6).to_bytes(4, "little") + WAV[12:]
    with pytest.raises(InvalidInput, match="cannot decode the audio"):
        decode(bad, "audio/wav", max_bytes=1 << 20, max_duration_s=5.0)
