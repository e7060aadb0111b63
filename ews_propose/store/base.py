"""The store interface the meeting rules are written against."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime

from ..rules.model import Item

FolderRecord = dict  # a created folder: {"id", "mailbox", "parent", "name", "folder_class", ...}


class StoreError(Exception):
    """The store cannot be opened; the message names the store and the reason."""


class Transaction(ABC):
    """All reads and writes of one workflow step; committed together or not at all."""

    @abstractmethod
    def get(self, item_id: str) -> Item | None: ...

    @abstractmethod
    def put(self, item: Item) -> None:
        """Insert or replace an item."""

    def put_many(self, items: Iterable[Item]) -> int:
        """Insert items new to the store (ids not in it yet), as a bulk load: the rows are
        the ones ``put`` writes. Returns how many were written.

        A default for any store; a store may load them in one statement instead."""
        written = 0
        for item in items:
            self.put(item)
            written += 1
        return written

    @abstractmethod
    def delete(self, item_id: str) -> None: ...

    @abstractmethod
    def list_folder(
        self, mailbox: str, folder: str, offset: int = 0, limit: int | None = None
    ) -> tuple[list[Item], int]:
        """Items of a folder, newest received first, and the folder's item count."""

    @abstractmethod
    def counts(self, mailbox: str, folder: str) -> tuple[int, int]:
        """How many items a folder holds, and how many of them are unread."""

    @abstractmethod
    def calendar_view(
        self, mailbox: str, folder: str, start: datetime, end: datetime
    ) -> list[Item]:
        """Items of a folder overlapping [start, end), by start time."""

    @abstractmethod
    def by_uid(self, mailbox: str, uid: str, kinds: tuple[str, ...] | None = None,
               folder: str | None = None) -> list[Item]:
        """A mailbox's items of the meeting ``uid`` (of these kinds, in this folder), oldest first."""

    def recurring_masters(self, mailbox: str, folder: str) -> list[Item]:
        """The folder's recurring series (calendar items with a recurrence pattern).

        A default for any store; a store may answer it from an index instead."""
        items, _ = self.list_folder(mailbox, folder)
        return [i for i in items if i.kind == "calendar_item" and i.recurrence]


    # --- folders a mailbox's owner created (the default tree is the rules' own) ---

    @abstractmethod
    def get_folder(self, folder_id: str) -> FolderRecord | None: ...

    @abstractmethod
    def put_folder(self, folder: FolderRecord) -> None:
        """Insert or replace a created folder (keyed by its "id")."""

    @abstractmethod
    def delete_folder(self, folder_id: str) -> None: ...

    @abstractmethod
    def list_folders(self, mailbox: str) -> list[FolderRecord]:
        """Every folder the mailbox's owner created, oldest first."""

    @abstractmethod
    def folder_item_ids(self, mailbox: str, folder: str) -> list[str]:
        """The ids of a folder's items (any order)."""

    # --- per-mailbox settings (out-of-office, ...) as JSON-ready values ---

    @abstractmethod
    def get_setting(self, mailbox: str, name: str) -> object | None: ...

    @abstractmethod
    def put_setting(self, mailbox: str, name: str, value: object) -> None: ...


class Watch:
    """A wake-up for the changes of some mailboxes: :meth:`wait` returns True early once a
    write transaction that touched one of them has committed (since the watch was made,
    or since the last ``wait`` that returned True), else False after ``timeout``.

    A caller looks at the store after every True, and also now and then without one: a
    wake-up is a hint that saves looking, never the only way a change is found. While
    :attr:`reliable` is False (this base class: a store without a signal; or a signal
    that is down, reconnecting) the caller looks at its short interval, as it would
    without any signal; while it is True, commits of every process wake it and a slow
    fallback look suffices."""

    reliable = False

    def wait(self, timeout: float) -> bool:
        if timeout > 0:
            time.sleep(timeout)
        return False

    def close(self) -> None:
        """Stop watching (a closed watch's ``wait`` only sleeps)."""

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Store(ABC):
    @abstractmethod
    def transaction(self, write: bool = True) -> AbstractContextManager[Transaction]:
        """A transaction; a write transaction holds the store's write lock from the start."""

    def watch(self, mailboxes: Iterable[str]) -> Watch:
        """A :class:`Watch` woken when a write transaction touching one of ``mailboxes``
        (addresses, any case) commits. A default for any store: one never woken early,
        whose caller looks at the store at its short interval."""
        return Watch()

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Store", "Transaction", "Watch", "Iterator"]
