"""Keeping a long-running server's resident memory flat (glibc malloc).

The chain thread allocates and frees large numpy arrays every step (track tables, the
association matrices, the step's detection columns) while the event loop allocates many small
objects (JSON text, WebSocket frames). With glibc's defaults this fragments the heap: large
blocks are served from the heap instead of ``mmap`` once the *dynamic* mmap threshold has
risen (it follows the largest block freed, up to 32 MiB), freed space is kept in holes between
live small objects, and the resident size creeps up step after step although the Python-level
memory (``tracemalloc``) stays flat. Three settings, no-ops off glibc:

* at most two malloc arenas (``M_ARENA_MAX``), so the chain's and the server's threads do not
  each keep half-empty arenas;
* a fixed mmap threshold of 256 KiB (``M_MMAP_THRESHOLD``; setting it disables the dynamic
  one): every array larger than that is its own mapping, returned to the system when freed;
* ``malloc_trim(0)`` every ``TRIM_EVERY_S`` seconds from the chain thread, which hands the free
  pages inside the heap back to the system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 256 * 1024
TRIM_EVERY_S = 30.0


def _libc() -> ctypes.CDLL | None:
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        lib.mallopt  # noqa: B018 - glibc only
        lib.malloc_trim  # noqa: B018
        return lib
    except (OSError, AttributeError):
        return None


def tune_malloc() -> bool:
    """Apply the arena and mmap settings (before the server's threads start). True on glibc."""
    lib = _libc()
    if lib is None:
        return False
    lib.mallopt(M_ARENA_MAX, 2)
    lib.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    return True


class Trimmer:
    """Calls ``malloc_trim(0)`` at most every ``every_s`` seconds; ``maybe()`` is cheap."""

    def __init__(self, every_s: float = TRIM_EVERY_S) -> None:
        self.every_s = every_s
        self._lib = _libc()
        self._next = time.monotonic() + every_s
        self.trims = 0

    def maybe(self) -> bool:
        """Trim if due; True when it trimmed (the resident size is then the process's
        steady state between steps: :func:`rss_mib` right after is comparable over time)."""
        if self._lib is None or time.monotonic() < self._next:
            return False
        self._lib.malloc_trim(0)
        self.trims += 1
        self._next = time.monotonic() + self.every_s
        return True


def rss_mib() -> float | None:
    """Resident set size of this process (MiB), from /proc (None elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
