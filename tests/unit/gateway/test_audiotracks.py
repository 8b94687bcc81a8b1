"""Audio tracks of a real file: listed with their language tags, named by index or tag, bad names refused."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from emocore.errors import InvalidInput
from gateway.audiotracks import requested, sample, tracks
from gateway.decode import decode_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 s of grey video with three mono tracks: French (silence), English (440 Hz), German AD (880 Hz)."""
    path = tmp_path_factory.mktemp("tracks") / "tracks.mkv"
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = []
        for language, freq, flags in (("fre", 0, 0), ("eng", 440, 0), ("ger", 880, av.stream.Disposition.visual_impaired)):
            stream = out.add_stream("pcm_s16le", rate=16000, layout="mono")
            stream.metadata["language"] = language
            if flags:
                stream.disposition = flags
            audio.append((stream, freq))
        for index in range(25):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 128, np.uint8), format="rgb24")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        t = np.arange(16000) / 16000
        for stream, freq in audio:
            pcm = (0.5 * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)[None, :]
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate, frame.pts = 16000, 0
            out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
    return path


def test_tracks_are_listed_with_language_and_audio_description_flag(clip: Path) -> None:
    found = tracks(clip)
    assert [(t.index, t.language, t.channels, t.secondary) for t in found] == [
        (0, "fre", 1, False), (1, "eng", 1, False), (2, "ger", 1, True)
    ]


def test_a_track_is_named_by_index_or_language_tag(clip: Path) -> None:
    found = tracks(clip)
    assert requested(found, "2").index == 2
    assert requested(found, "ENG").index == 1
    assert requested(found, "en").index == 1 and requested(found, "fr").index == 0  # ISO 639-1 for 639-2 tags
    with pytest.raises(InvalidInput, match=r"matches no audio track; the video has: 0 \(fre\), 1 \(eng\), 2 \(ger\)") as caught:
        requested(found, "spa")
    assert caught.value.code == "invalid_audio_track"
    with pytest.raises(InvalidInput, match="'7' matches no audio track"):
        requested(found, "7")


def dominant_hz(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    return float(np.argmax(spectrum) * 16000 / len(audio))


def test_the_decoder_reads_the_track_asked_for(clip: Path) -> None:
    assert np.abs(sample(clip, 0)).max() == 0.0
    assert dominant_hz(sample(clip, 1)) == pytest.approx(440, abs=2)
    second = decode_video(clip, sample_fps=0, audio_track=2).audio
    assert second is not None and dominant_hz(second) == pytest.approx(880, abs=2)
