"""Giving memory back to the system after large requests.

Two things kept a process at its largest request's size for good (measured: 72 MB at
start, 380 MB after a dozen 16 MB GetItem answers, and still 380 MB when idle):

- spyne's per-request contexts hold references to themselves, so the request and
  answer documents wait for the cyclic garbage collector, which the SOAP application
  no longer runs after every request (it cost tens of milliseconds each time);
- glibc's malloc raises its mmap threshold each time a large block is freed, after
  which large buffers come from the heap, and a heap is returned only from its top.

So the server fixes the mmap threshold (large blocks are mapped and unmapped) and,
shortly after a request or answer of at least ``LARGE_BYTES``, collects garbage and
trims the heap on a background thread: one collection for a burst of large requests,
nothing for ordinary ones. Where the C library is not glibc only the collection runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

LARGE_BYTES = 1024 * 1024
SETTLE_S = 0.2  # let the answer leave before collecting
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD_BYTES = 256 * 1024


def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if libc is None or not hasattr(libc, "malloc_trim") or not hasattr(libc, "mallopt"):
        return None
    return libc


_LIBC = _libc()


def tune_allocator() -> None:
    """Blocks of MMAP_THRESHOLD_BYTES and more always mapped, so freeing returns them."""
    if _LIBC is not None:
        _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


class Reclaimer:
    def __init__(self) -> None:
        self._wanted = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.runs = 0

    def after(self, size: int) -> None:
        """A request (or its answer) of ``size`` bytes was served."""
        if size < LARGE_BYTES:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():  # also after a fork
                self._thread = threading.Thread(target=self._run, name="ews-propose-reclaim", daemon=True)
                self._thread.start()
        self._wanted.set()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            time.sleep(SETTLE_S)
            self._wanted.clear()
            gc.collect()
            if _LIBC is not None:
                _LIBC.malloc_trim(0)
            self.runs += 1


def reclaiming(app: Callable, reclaimer: Reclaimer) -> Callable:
    """WSGI middleware: tells ``reclaimer`` the size of each request and answer."""

    def wrapped(environ: dict, start_response: Callable) -> Iterable[bytes]:
        text = environ.get("CONTENT_LENGTH") or "0"
        asked = int(text) if text.isdigit() else 0
        answered: list[int] = []

        def sized_start_response(status, headers, exc_info=None):
            answered.extend(int(v) for k, v in headers if k.lower() == "content-length" and v.isdigit())
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = app(environ, sized_start_response)
        if not answered and isinstance(body, list):
            answered.append(sum(len(part) for part in body))
        reclaimer.after(max(asked, sum(answered)))
        return body

    return wrapped
