"""The audio generators of devtools.audio make what the audio tests and benchmarks expect."""

from __future__ import annotations

import numpy as np

from devtools.audio import encode_audio, song, song_part, synth_music, tone
from services.audio.decode import SAMPLE_RATE, decode
from services.audio.vad import tone_purity


def test_synth_music_is_broadband_and_rhythmic() -> None:
    music = synth_music()
    assert music.shape == (8 * SAMPLE_RATE,)
    assert tone_purity(music) < 0.5  # chords and drums, not one tone
    energy = np.square(music[: 4 * SAMPLE_RATE]).reshape(-1, SAMPLE_RATE // 4).mean(axis=1)
    assert energy.max() > 4 * energy.min()  # beats


def test_encoded_files_decode_back_to_the_same_length() -> None:
    signal = tone(440.0, 2.0)
    for fmt in ("wav", "flac", "mp3", "m4a", "ogg"):
        data = encode_audio(signal, fmt)
        decoded = decode(data, "audio/x-test", max_bytes=len(data), max_duration_s=60)
        assert abs(decoded.duration_s - 2.0) < 0.15, fmt  # AAC adds priming and padding


def test_song_intro_and_vocals_are_where_the_tests_expect() -> None:
    assert abs(song().shape[0] / SAMPLE_RATE - 212.1) < 0.5
    assert np.sqrt(np.mean(np.square(song_part(0, 18)))) > 0.05  # the intro is not silent
