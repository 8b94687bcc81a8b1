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


FREED_BLOCKS = """
import ctypes, threading
from pathlib import Path
from emocore import memory
KEEP = {keep}
if KEEP:
    assert memory.keep_heap_small()
def rss():
    return next(int(l.split()[1]) for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmRSS:"))
def work():  # 8 MB blocks from a worker thread, as ONNX Runtime's activations without its arena
    blocks = [ctypes.create_string_buffer(8 << 20) for _ in range(3)]
    small = [ctypes.create_string_buffer(256) for _ in range(1000)]  # live small blocks on top
    del blocks
    return small
first = threading.Thread(target=work)  # glibc raises its threshold when this one's blocks are freed
first.start(); first.join()
base = rss()
kept = []
for _ in range(4):
    t = threading.Thread(target=lambda: kept.append(work()))
    t.start(); t.join()
print((rss() - base) // 1024)
"""


@pytest.mark.parametrize("keep", [True, False])
def test_large_blocks_freed_by_worker_threads_leave_the_process_when_the_heap_is_kept_small(keep: bool) -> None:
    # A fresh interpreter each: mallopt changes the whole process. Without keep_heap_small, glibc
    # raises its mmap threshold once the first 8 MB block is freed, and later ones stay in the heap.
    import subprocess

    code = FREED_BLOCKS.format(keep=keep)
    grown_mb = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                  cwd=Path(__file__).resolve().parents[3]).stdout)
    assert (grown_mb <= 8) if keep else (grown_mb >= 16), grown_mb
