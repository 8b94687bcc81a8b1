"""Subtitle streams inside the container: mov_text in MP4 (muxed by PyAV), none at all."""

from __future__ import annotations

import pytest

from devtools.sample_video import cached
from emocore.errors import PayloadTooLarge
from gateway.embedded_subs import embedded_cues


@pytest.mark.slow
def test_mov_text_stream_is_read_with_its_timing() -> None:
    clip = cached("embedded", embed_subtitles=True)
    cues = embedded_cues(str(clip.video))
    assert cues is not None
    assert [c.text for c in cues] == [c.text for c in clip.cues]
    for found, expected in zip(cues, clip.cues, strict=True):
        assert found.start_s == pytest.approx(expected.start_s, abs=0.01)
        assert found.end_s == pytest.approx(expected.end_s, abs=0.01)


def test_a_video_without_subtitle_stream_gives_none() -> None:
    assert embedded_cues(str(cached("small").video)) is None


@pytest.mark.slow
def test_a_stream_with_more_cues_than_the_limit_is_refused() -> None:
    clip = cached("embedded", embed_subtitles=True)
    assert embedded_cues(str(clip.video), max_cues=len(clip.cues)) is not None
    with pytest.raises(PayloadTooLarge, match=f"more than {len(clip.cues) - 1} cues"):
        embedded_cues(str(clip.video), max_cues=len(clip.cues) - 1)
