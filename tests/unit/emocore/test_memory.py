"""emocore/memory.py: freed heap memory goes back to the OS (what keeps a long job's gateway from growing)."""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

import pytest

from emocore import memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc")


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_freed_heap_blocks_are_returned_after_release() -> None:
    # 64 KB blocks stay on the heap (below glibc's mmap threshold); the last one kept pins its top,
    # so freeing the others does not shrink the process until release() hands their pages back.
    blocks = [ctypes.create_string_buffer(64 * 1024) for _ in range(3200)]  # 200 MB
    kept = blocks[-1]
    del blocks
    before = resident_mb()
    memory.release()
    after = resident_mb()
    assert before - after > 150, (before, after)
    assert kept.raw[:1] == b"\0"
