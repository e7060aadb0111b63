"""The in-process half of a store's change signal: which watches wait for which
mailboxes, and waking them when a commit touched those mailboxes.

A backend calls :meth:`Changes.committed` once a write transaction has committed (the
SQLite store right after its COMMIT; the PostgreSQL store for every notification its
``LISTEN`` connection reads, its own process's commits included) and
:meth:`Changes.wake_all` when it may have missed some (a signal that was down).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from .base import Watch

ELSEWHERE_SECONDS = 0.05  # how often a wait asks ``elsewhere`` (SQLite: a PRAGMA of microseconds)


class MailboxWatch(Watch):
    """A watch registered with a :class:`Changes`: an event set by the commits it cares
    for. ``elsewhere`` (optional) is asked after a wait that found nothing: whether
    something changed that no signal reported (SQLite: a commit by another process)."""

    def __init__(self, changes: Changes, mailboxes: frozenset[str],
                 elsewhere: Callable[[], bool] | None = None,
                 reliable: Callable[[], bool] | None = None) -> None:
        self._changes = changes
        self.mailboxes = mailboxes
        self._event = threading.Event()
        self._elsewhere = elsewhere
        self._reliable = reliable
        self._closed = False

    @property
    def reliable(self) -> bool:  # type: ignore[override]
        return not self._closed and (self._reliable is None or self._reliable())

    def wake(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        if self._closed:
            return super().wait(timeout)
        end = time.monotonic() + max(0.0, timeout)
        while True:
            left = end - time.monotonic()
            step = left if self._elsewhere is None else min(left, ELSEWHERE_SECONDS)
            if self._event.wait(max(0.0, step)):
                # Cleared before the caller looks: a commit after this point sets it again,
                # one before it is seen by that look.
                self._event.clear()
                if self._elsewhere is not None:
                    self._elsewhere()  # what the caller's look is about to see needs no second wake
                return True
            if self._elsewhere is not None and self._elsewhere():
                return True
            if step >= left:
                return False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._changes.forget(self)


class Changes:
    """The watches of one store in this process, by mailbox (lower case)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[str, set[MailboxWatch]] = {}

    def watch(self, mailboxes: Iterable[str], elsewhere: Callable[[], bool] | None = None,
              reliable: Callable[[], bool] | None = None) -> MailboxWatch:
        watch = MailboxWatch(self, frozenset(m.lower() for m in mailboxes), elsewhere, reliable)
        with self._lock:
            for mailbox in watch.mailboxes:
                self._watches.setdefault(mailbox, set()).add(watch)
        return watch

    def forget(self, watch: MailboxWatch) -> None:
        with self._lock:
            for mailbox in watch.mailboxes:
                held = self._watches.get(mailbox)
                if held is not None:
                    held.discard(watch)
                    if not held:
                        del self._watches[mailbox]

    def watched(self) -> bool:
        return bool(self._watches)

    def committed(self, mailboxes: Iterable[str]) -> None:
        """A commit touched ``mailboxes`` (lower case): wake their watches."""
        if not self._watches:  # nobody waits (most processes, most of the time)
            return
        with self._lock:
            woken = [w for m in mailboxes for w in self._watches.get(m, ())]
        for watch in woken:
            watch.wake()

    def wake_all(self) -> None:
        with self._lock:
            woken = [w for held in self._watches.values() for w in held]
        for watch in woken:
            watch.wake()


__all__ = ["Changes", "MailboxWatch"]
