"""Process-level tuning around an engine run (never applied at import)."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import sys
from collections.abc import Iterator

# glibc mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP = 2**31 - 1  # the largest value mallopt takes (a C int)
# What glibc's dynamic thresholds settle at once large blocks have been freed.
_SETTLED_MMAP = 32 * 2**20
_SETTLED_TRIM = 2 * _SETTLED_MMAP


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    try:
        library = ctypes.CDLL(name) if name else None
        return library if library is not None and hasattr(library, "mallopt") else None
    except OSError:
        return None


@contextlib.contextmanager
def reuse_freed_memory(enabled: bool = True) -> Iterator[bool]:
    """While active, let glibc reuse freed large blocks instead of handing them back to the OS.

    Every optimisation step allocates and frees the same activation-sized
    tensors (45 MB for a 64-channel layer at 512×341). Above glibc's mmap
    threshold (at most 32 MB) each is a fresh mapping whose pages fault in on
    first touch: steps were 18 % (512 px) to 35 % (1024 px) slower
    (benchmarks/floor.py). The cost is fragmentation: peak memory rose by 1 GB
    at 1024 px, so callers enable it for small outputs only. On exit the
    thresholds return to where glibc's own settle and free memory is released.
    Process-wide: concurrent runs in threads of one process share it. Yields
    whether the tuning is active (False off glibc).
    """
    libc = _glibc() if enabled else None
    if libc is None:
        yield False
        return
    active = bool(libc.mallopt(_M_MMAP_THRESHOLD, _KEEP)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, _KEEP))
    try:
        yield active
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _SETTLED_MMAP)
        libc.mallopt(_M_TRIM_THRESHOLD, _SETTLED_TRIM)
        libc.malloc_trim(0)
