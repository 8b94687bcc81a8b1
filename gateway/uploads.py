"""Stream a multipart upload straight to a job folder, never holding it in memory.

The body is fed chunk by chunk to python-multipart's push parser; file parts go to
files with generated names inside the job folder (the client's file name is kept
only as metadata), text fields are kept in memory up to a few KB. The byte count
of the whole body is checked while it arrives, so a body without (or with a false)
``Content-Length`` is cut off at the limit too, and ``on_chunk`` sees the running
count (the free-space check). Each file's SHA-256 is taken on the way; without a
folder the files are only hashed (an idempotent retry compared with its original).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from emocore.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

FILE_FIELDS = {"video": "input.video", "subtitles": "input.subtitles"}
TEXT_FIELDS = ("video_url", "webhook_url", "metadata", "audio_track")
MAX_FIELD_BYTES = 4096


@dataclass
class UploadedFile:
    path: Path
    filename: str
    content_type: str
    size: int = 0
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)


@dataclass
class Upload:
    files: dict[str, UploadedFile] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)


class _Receiver:
    """python-multipart callbacks writing file parts to disk as they arrive."""

    def __init__(self, folder: Path | None, max_subtitle_bytes: int) -> None:
        self.folder = folder
        self.max_subtitle_bytes = max_subtitle_bytes
        self.upload = Upload()
        self.headers: dict[bytes, bytes] = {}
        self.header_name = b""
        self.header_value = b""
        self.name = ""
        self.file: IO[bytes] | None = None
        self.current: UploadedFile | None = None
        self.text = bytearray()

    def on_part_begin(self) -> None:
        self.headers, self.name, self.text = {}, "", bytearray()
        self.current = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_name.lower()] = self.header_value
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            if self.name not in FILE_FIELDS:
                raise InvalidInput(f"unexpected file field {self.name!r}; send 'video' and optionally 'subtitles'")
            if self.name in self.upload.files:
                raise InvalidInput(f"field {self.name!r} sent twice")
            path = Path(FILE_FIELDS[self.name]) if self.folder is None else self.folder / FILE_FIELDS[self.name]
            ctype = self.headers.get(b"content-type", b"application/octet-stream").decode("latin-1")
            self.current = UploadedFile(path, options[b"filename"].decode("utf-8", "replace"), ctype)
            self.upload.files[self.name] = self.current
            self.file = None if self.folder is None else path.open("wb")
        elif self.name not in TEXT_FIELDS:
            raise InvalidInput(f"unexpected field {self.name!r}; allowed: {', '.join([*FILE_FIELDS, *TEXT_FIELDS])}")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.current is None:
            self.text += chunk
            if len(self.text) > MAX_FIELD_BYTES:
                raise PayloadTooLarge(f"field {self.name!r} is over {MAX_FIELD_BYTES} bytes")
            return
        self.current.size += len(chunk)
        if self.name == "subtitles" and self.current.size > self.max_subtitle_bytes:
            raise PayloadTooLarge(f"subtitles are over the {self.max_subtitle_bytes}-byte limit")
        self.current.digest.update(chunk)
        if self.file is not None:
            self.file.write(chunk)

    def on_part_end(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        if self.current is None and self.name in TEXT_FIELDS:
            self.upload.fields[self.name] = self.text.decode("utf-8", "replace").strip()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


async def receive(
    stream: AsyncIterator[bytes],
    content_type: str,
    folder: Path | None,
    *,
    max_bytes: int,
    max_subtitle_bytes: int,
    on_chunk: Callable[[int], None] | None = None,
) -> Upload:
    """Parse a ``multipart/form-data`` body from ``stream`` into ``folder`` (None: hash only)."""
    kind, params = parse_options_header(content_type)
    if kind != b"multipart/form-data" or b"boundary" not in params:
        raise UnsupportedMediaType(
            f"content type {content_type or 'missing'!r}: send multipart/form-data with a 'video' file"
        )
    receiver = _Receiver(folder, max_subtitle_bytes)
    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": receiver.on_part_begin,
            "on_part_data": receiver.on_part_data,
            "on_part_end": receiver.on_part_end,
            "on_header_field": receiver.on_header_field,
            "on_header_value": receiver.on_header_value,
            "on_header_end": receiver.on_header_end,
            "on_headers_finished": receiver.on_headers_finished,
        },
    )
    received = 0
    try:
        async for chunk in stream:
            received += len(chunk)
            if received > max_bytes:
                raise PayloadTooLarge(f"upload is over the {max_bytes}-byte limit")
            if on_chunk is not None:
                on_chunk(received)
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise InvalidInput(f"malformed multipart body: {exc}") from exc
    finally:
        receiver.close()
    return receiver.upload
