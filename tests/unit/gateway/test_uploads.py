"""gateway.uploads: multipart bodies (encoded by httpx, fed in small chunks) land in the job folder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emocore.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from gateway.uploads import FILE_FIELDS, Upload, receive

VIDEO = bytes(range(256)) * 4096  # 1 MiB, every byte value
SRT = b"1\n00:00:00,000 --> 00:00:01,000\nHello.\n"


def multipart(files: dict[str, Any] | list[tuple[str, Any]], data: dict[str, str] | None = None) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://gateway/v1/videos", files=files, data=data)
    return request.read(), request.headers["content-type"]


async def chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def receive_body(body: bytes, content_type: str, folder: Path, *, chunk: int = 1000,
                 max_bytes: int = 10 * 1024**2, max_subtitle_bytes: int = 1024) -> Upload:
    return asyncio.run(receive(chunks(body, chunk), content_type, folder,
                               max_bytes=max_bytes, max_subtitle_bytes=max_subtitle_bytes))


def test_files_stream_to_generated_names_and_fields_are_kept(tmp_path: Path) -> None:
    body, ctype = multipart(
        {"video": ("../../etc/my clip.mp4", VIDEO, "video/mp4"), "subtitles": ("clip.srt", SRT, "application/x-subrip")},
        {"webhook_url": "  https://hooks.example.com/done  "},
    )
    upload = receive_body(body, ctype, tmp_path, chunk=777)
    video = upload.files["video"]
    assert video.path == tmp_path / FILE_FIELDS["video"] and video.path.read_bytes() == VIDEO
    assert (video.filename, video.content_type, video.size) == ("../../etc/my clip.mp4", "video/mp4", len(VIDEO))
    assert upload.files["subtitles"].path.read_bytes() == SRT
    assert upload.fields == {"webhook_url": "https://hooks.example.com/done"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILE_FIELDS.values())


def test_a_url_instead_of_a_file(tmp_path: Path) -> None:
    body = (b'--b0undary\r\nContent-Disposition: form-data; name="video_url"\r\n\r\n'
            b"https://media.example.com/a.mp4\r\n--b0undary--\r\n")
    upload = receive_body(body, "multipart/form-data; boundary=b0undary", tmp_path, chunk=7)
    assert upload.files == {} and upload.fields == {"video_url": "https://media.example.com/a.mp4"}


def test_the_whole_body_is_limited_while_it_arrives(tmp_path: Path) -> None:
    body, ctype = multipart({"video": ("a.mp4", VIDEO, "video/mp4")})
    with pytest.raises(PayloadTooLarge, match="over the 500000-byte limit"):
        receive_body(body, ctype, tmp_path, max_bytes=500_000)


def test_subtitles_have_their_own_limit(tmp_path: Path) -> None:
    body, ctype = multipart({"video": ("a.mp4", b"x", "video/mp4"), "subtitles": ("a.srt", SRT * 100, "text/plain")})
    with pytest.raises(PayloadTooLarge, match="subtitles are over the 1024-byte limit"):
        receive_body(body, ctype, tmp_path)


@pytest.mark.parametrize(
    ("files", "data", "message"),
    [
        ({"picture": ("a.jpg", b"x", "image/jpeg")}, None, "unexpected file field 'picture'"),
        ([("video", ("a.mp4", b"x", "video/mp4")), ("video", ("b.mp4", b"y", "video/mp4"))], None,
         "field 'video' sent twice"),
        ({"video": ("a.mp4", b"x", "video/mp4")}, {"colour": "red"}, "unexpected field 'colour'"),
    ],
)
def test_unexpected_fields_are_refused_by_name(tmp_path: Path, files: Any, data: Any, message: str) -> None:
    body, ctype = multipart(files, data)
    with pytest.raises(InvalidInput, match=message):
        receive_body(body, ctype, tmp_path)


def test_a_long_text_field_is_refused(tmp_path: Path) -> None:
    body, ctype = multipart({"video": ("a.mp4", b"x", "video/mp4")}, {"webhook_url": "h" * 5000})
    with pytest.raises(PayloadTooLarge, match="field 'webhook_url' is over 4096 bytes"):
        receive_body(body, ctype, tmp_path)


@pytest.mark.parametrize("content_type", ["", "application/json", "multipart/form-data"])
def test_anything_but_multipart_with_a_boundary_is_415(tmp_path: Path, content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType, match="send multipart/form-data"):
        receive_body(b"{}", content_type, tmp_path)


def test_a_malformed_body_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="malformed multipart body"):
        receive_body(b"--other\r\nnonsense\r\n", "multipart/form-data; boundary=expected", tmp_path)
