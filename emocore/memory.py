"""Handing freed heap memory back to the operating system.

glibc keeps the blocks a process frees for later reuse, per thread arena, and
returns them to the system only when the free space sits at the top of a heap.
A long job that allocates large short-lived buffers from several threads
(ONNX Runtime activations without its arena, decoded frames, WAV pieces) then
keeps growing in resident size although its live data does not. ``release``
asks glibc to give every arena's free pages back (``malloc_trim(0)``); it is a
no-op where the C library has no such call.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_LIBC_NAME = ctypes.util.find_library("c")
_TRIM = getattr(ctypes.CDLL(_LIBC_NAME), "malloc_trim", None) if _LIBC_NAME else None


def release() -> None:
    """Return the heap's free pages to the OS (a few milliseconds)."""
    if _TRIM is not None:
        _TRIM(0)
