"""The free-space reserve on the data directory, checked before and while an upload is stored.

Uploads and the SQLite store share one volume: an upload that would leave less than
``min_free_bytes`` free is refused (507 ``insufficient_storage`` with Retry-After),
before its body is read when ``Content-Length`` says so, else as soon as the bytes
written so far bring the disk below the reserve.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from emocore.errors import InsufficientStorage

CHECK_EVERY_BYTES = 1024 * 1024  # statvfs costs microseconds: once per MiB received is plenty


def free_bytes(path: Path) -> int:
    """Free bytes on the file system holding ``path`` (its closest existing parent)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def check_reserve(path: Path, reserve: int, incoming: int = 0) -> None:
    """Raise InsufficientStorage when storing ``incoming`` more bytes would leave under ``reserve`` free."""
    if reserve <= 0:
        return
    free = free_bytes(path)
    if free - incoming < reserve:
        need = f"{incoming} more bytes" if incoming else "this upload"
        raise InsufficientStorage(
            f"not enough disk space for {need}: {free} bytes free, {reserve} kept in reserve; retry later"
        )


def watcher(path: Path, reserve: int) -> Callable[[int], None]:
    """An ``on_chunk`` callback for ``uploads.receive`` checking the reserve every MiB received."""
    checked = 0

    def on_chunk(received: int) -> None:
        nonlocal checked
        if received - checked >= CHECK_EVERY_BYTES:
            checked = received
            check_reserve(path, reserve)

    return on_chunk
