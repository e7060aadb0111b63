"""SQLite store: one table of items, the item body as JSON beside indexed columns.

Indexes follow the questions asked of it: a folder's items (mailbox, folder,
received), a calendar window (mailbox, folder, start, end), a meeting's copies
(mailbox, uid). File stores run in WAL mode; every write transaction starts with
BEGIN IMMEDIATE so concurrent writers queue on the lock instead of failing late.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from ..rules.model import Item, format_utc, from_record, to_record
from .base import Store, Transaction

SCHEMA_VERSION = 3
_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    mailbox TEXT NOT NULL,
    folder TEXT NOT NULL,
    kind TEXT NOT NULL,
    uid TEXT,
    start TEXT,
    "end" TEXT,
    received TEXT,
    data TEXT NOT NULL,
    unread INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS settings (
    mailbox TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (mailbox, name)
);
CREATE TABLE IF NOT EXISTS folders (
    id TEXT PRIMARY KEY,
    mailbox TEXT NOT NULL,
    parent TEXT NOT NULL,
    data TEXT NOT NULL
);
"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS items_folder ON items (mailbox, folder, received);
CREATE INDEX IF NOT EXISTS items_window ON items (mailbox, folder, start, "end");
CREATE INDEX IF NOT EXISTS items_uid ON items (mailbox, uid, kind, folder);
CREATE INDEX IF NOT EXISTS items_unread ON items (mailbox, folder, unread);
CREATE INDEX IF NOT EXISTS folders_mailbox ON folders (mailbox, parent);
"""
# Each step brings a store from the version before it to the one it is filed under.
_MIGRATIONS = {
    2: [  # unread as a column, so a folder's unread count is an index count
        "ALTER TABLE items ADD COLUMN unread INTEGER NOT NULL DEFAULT 0",
        "UPDATE items SET unread = CASE WHEN json_extract(data, '$.is_read') = 1 THEN 0 ELSE 1 END",
    ],
    3: [],  # the folders and settings tables: made by _TABLES; nothing to convert
}
BUSY_TIMEOUT_S = 30.0
_SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(Exception):
    """The store cannot be opened; the message names the path and the reason."""


def _check_path(path: str) -> None:
    """Refuse what SQLite would misreport ("unable to open database file") or damage,
    and create the store's folder (the default one under ~/.local/share may not exist)."""
    if os.path.isdir(path):
        raise StoreError(f"store {path}: is a directory; give a file path such as {os.path.join(path, 'store.sqlite3')}")
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"store {path}: cannot create the folder {parent}: {exc.strerror or exc}") from exc
    if not os.path.exists(path):
        if not os.access(parent, os.W_OK):
            raise StoreError(f"store {path}: the folder {parent} is not writable")
        return
    try:
        with open(path, "rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"store {path}: cannot be read: {exc.strerror or exc}") from exc
    if header and header != _SQLITE_HEADER:
        raise StoreError(f"store {path}: exists and is not an SQLite database; "
                         "give a new path or an ews-propose store")


class _SqliteTransaction(Transaction):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._known_longest = 0

    def get(self, item_id: str) -> Item | None:
        row = self._conn.execute("SELECT data FROM items WHERE id = ?", (item_id,)).fetchone()
        return from_record(json.loads(row[0])) if row else None

    def put(self, item: Item) -> None:
        if item.start is not None and item.end is not None:
            self._note_duration(int((item.end - item.start).total_seconds()))
        self._conn.execute(
            'INSERT OR REPLACE INTO items (id, mailbox, folder, kind, uid, start, "end", received, data, unread)'
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.id,
                item.mailbox.lower(),
                item.folder,
                item.kind,
                item.uid,
                format_utc(item.start) if item.start else None,
                format_utc(item.end) if item.end else None,
                format_utc(item.received) if item.received else None,
                json.dumps(to_record(item), separators=(",", ":")),
                0 if item.is_read else 1,
            ),
        )

    def delete(self, item_id: str) -> None:
        self._conn.execute("DELETE FROM items WHERE id = ?", (item_id,))

    def list_folder(
        self, mailbox: str, folder: str, offset: int = 0, limit: int | None = None
    ) -> tuple[list[Item], int]:
        key = (mailbox.lower(), folder)
        total = self._conn.execute(
            "SELECT count(*) FROM items WHERE mailbox = ? AND folder = ?", key
        ).fetchone()[0]
        rows = self._conn.execute(
            "SELECT data FROM items WHERE mailbox = ? AND folder = ?"
            " ORDER BY received DESC, rowid DESC LIMIT ? OFFSET ?",
            (*key, -1 if limit is None else limit, offset),
        ).fetchall()
        return [from_record(json.loads(r[0])) for r in rows], total

    def counts(self, mailbox: str, folder: str) -> tuple[int, int]:
        total, unread = self._conn.execute(
            "SELECT count(*), coalesce(sum(unread), 0) FROM items WHERE mailbox = ? AND folder = ?",
            (mailbox.lower(), folder),
        ).fetchone()
        return total, unread

    def calendar_view(
        self, mailbox: str, folder: str, start: datetime, end: datetime
    ) -> list[Item]:
        # No item lasts longer than the longest on record, so one that overlaps the window
        # starts at most that long before it: a bounded range of the (start) index, not a
        # scan of everything earlier.
        earliest = start - timedelta(seconds=self._longest())
        rows = self._conn.execute(
            'SELECT data FROM items WHERE mailbox = ? AND folder = ? AND start >= ? AND start < ?'
            ' AND "end" > ? ORDER BY start, rowid',
            (mailbox.lower(), folder, format_utc(earliest), format_utc(end), format_utc(start)),
        ).fetchall()
        return [from_record(json.loads(r[0])) for r in rows]

    def _longest(self) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'longest_item_s'").fetchone()
        return int(row[0]) if row else 0

    def _note_duration(self, seconds: int) -> None:
        if seconds > self._known_longest:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES ('longest_item_s', ?) ON CONFLICT(key) DO UPDATE"
                " SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))", (str(seconds),))
            self._known_longest = seconds

    def by_uid(self, mailbox: str, uid: str, kinds: tuple[str, ...] | None = None,
               folder: str | None = None) -> list[Item]:
        sql = "SELECT data FROM items WHERE mailbox = ? AND uid = ?"
        args: list[object] = [mailbox.lower(), uid]
        if kinds:
            sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
            args += kinds
        if folder is not None:
            sql += " AND folder = ?"
            args.append(folder)
        rows = self._conn.execute(sql + " ORDER BY rowid", args).fetchall()
        return [from_record(json.loads(r[0])) for r in rows]


    def recurring_masters(self, mailbox: str, folder: str) -> list[Item]:
        # The series of a folder: found by their pattern in the JSON, within the folder's
        # index range (no column or migration needed).
        rows = self._conn.execute(
            "SELECT data FROM items WHERE mailbox = ? AND folder = ? AND kind = 'calendar_item'"
            " AND json_extract(data, '$.recurrence') IS NOT NULL ORDER BY start, rowid",
            (mailbox.lower(), folder),
        ).fetchall()
        return [from_record(json.loads(r[0])) for r in rows]

    def get_folder(self, folder_id: str) -> dict | None:
        row = self._conn.execute("SELECT data FROM folders WHERE id = ?", (folder_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def put_folder(self, folder: dict) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO folders (id, mailbox, parent, data) VALUES (?, ?, ?, ?)",
            (folder["id"], folder["mailbox"].lower(), folder["parent"], json.dumps(folder, separators=(",", ":"))))

    def delete_folder(self, folder_id: str) -> None:
        self._conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))

    def list_folders(self, mailbox: str) -> list[dict]:
        rows = self._conn.execute("SELECT data FROM folders WHERE mailbox = ? ORDER BY rowid",
                                  (mailbox.lower(),)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def folder_item_ids(self, mailbox: str, folder: str) -> list[str]:
        rows = self._conn.execute("SELECT id FROM items WHERE mailbox = ? AND folder = ?",
                                  (mailbox.lower(), folder)).fetchall()
        return [r[0] for r in rows]


    def get_setting(self, mailbox: str, name: str) -> object | None:
        row = self._conn.execute("SELECT value FROM settings WHERE mailbox = ? AND name = ?",
                                 (mailbox.lower(), name)).fetchone()
        return json.loads(row[0]) if row else None

    def put_setting(self, mailbox: str, name: str, value: object) -> None:
        self._conn.execute("INSERT OR REPLACE INTO settings (mailbox, name, value) VALUES (?, ?, ?)",
                           (mailbox.lower(), name, json.dumps(value, separators=(",", ":"))))


class SqliteStore(Store):
    """An SQLite file, or ``:memory:`` (one connection shared under a lock).

    A path that cannot hold a store (a directory, a file that is not SQLite, a folder
    that cannot be created) raises :class:`StoreError` before anything is written."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._memory = path == ":memory:"
        self._local = threading.local()
        self._lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        if not self._memory:
            _check_path(path)
        try:
            self._create_schema(path)
            self._writer = _WriterQueue(None if self._memory else path + ".lock")
        except StoreError:
            self.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"store {path}: cannot be opened as an SQLite store: {exc}") from exc
        except OSError as exc:
            self.close()
            raise StoreError(f"store {path}: {exc.strerror or exc}") from exc

    def _create_schema(self, path: str) -> None:
        conn = self._connect()
        with conn:
            conn.executescript(_TABLES)
            found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if found is not None and int(found[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"store {path} has schema version {found[0]}; this ews-propose reads up to {SCHEMA_VERSION}"
                )
            if found is None:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif int(found[0]) < SCHEMA_VERSION:
                self._migrate(conn)
            conn.executescript(_INDEXES)
            if conn.execute("SELECT 1 FROM meta WHERE key = 'longest_item_s'").fetchone() is None:
                # Stores written before this was recorded: work it out once.
                longest = conn.execute(
                    'SELECT max((julianday("end") - julianday(start)) * 86400) FROM items'
                    " WHERE start IS NOT NULL").fetchone()[0]
                conn.execute("INSERT INTO meta (key, value) VALUES ('longest_item_s', ?)",
                             (str(int(round(longest or 0))),))

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: another process may have migrated meanwhile.
            version = int(conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target]:
                    conn.execute(statement)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _connect(self) -> sqlite3.Connection:
        if self._memory:
            if not self._connections:
                conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
                self._connections.append(conn)
            return self._connections[0]
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Transaction]:
        conn = self._connect()
        # Writers of one process queue here and are woken the moment the lock frees;
        # left to SQLite, they would sleep in its busy handler in steps of up to 100 ms
        # (the p99 of every write). Between processes SQLite's lock still decides.
        guard = self._lock if self._memory else (self._writer if write else _NoLock)
        with guard:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _SqliteTransaction(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
            writer = getattr(self, "_writer", None)
            if writer is not None:
                writer.close()
        self._local = threading.local()


class _WriterQueue:
    """One writer at a time: threads queue on a lock, processes on an flock of a file
    beside the store; the kernel and the lock wake the next writer at once."""

    def __init__(self, lock_path: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600) if lock_path else None

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _NoLockType:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NoLock = _NoLockType()


def open_store(path: str) -> SqliteStore:
    return SqliteStore(path)
