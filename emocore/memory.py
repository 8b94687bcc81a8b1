"""Handing freed heap memory back to the operating system.

glibc keeps the blocks a process frees for later reuse, per thread arena, and
returns them to the system only when the free space sits at the top of a heap.
A long job that allocates large short-lived buffers from several threads
(ONNX Runtime activations without its arena, decoded frames, WAV pieces) then
keeps growing in resident size although its live data does not. Two remedies:

- ``release`` asks glibc to give every arena's free pages back (``malloc_trim(0)``);
- ``keep_heap_small`` (called once by a process that runs jobs) fixes the mmap
  threshold, so every block over 1 MB gets its own mapping and goes back to the
  system when freed (glibc otherwise raises the threshold to the largest block
  freed so far, up to 32 MB, and the later ones stay in the heap), and caps the
  heap arenas at two (one per thread otherwise, each keeping its own high-water
  mark). Measured on a 20-minute job: the gateway's resident size no longer climbs
  for the first minutes of a job and its peak above idle went from 372 to 242 MB
  at the same speed (bench/reports/long_video.md has the figures after it).

Both are no-ops where the C library has no such calls.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_LIBC_NAME = ctypes.util.find_library("c")
_LIBC = ctypes.CDLL(_LIBC_NAME) if _LIBC_NAME else None
_TRIM = getattr(_LIBC, "malloc_trim", None)
_MALLOPT = getattr(_LIBC, "mallopt", None)
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc's malloc.h


def keep_heap_small(mmap_threshold: int = 1 << 20, arenas: int = 2) -> bool:
    """Large blocks always mapped on their own, at most ``arenas`` heap arenas; whether it applied."""
    if _MALLOPT is None:
        return False
    return bool(_MALLOPT(M_MMAP_THRESHOLD, mmap_threshold)) and bool(_MALLOPT(M_ARENA_MAX, arenas))


def release() -> None:
    """Return the heap's free pages to the OS (a few milliseconds)."""
    if _TRIM is not None:
        _TRIM(0)
