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
from datetime import datetime

from ..rules import budget
from ..rules.model import Item, format_utc, shifted
from .base import Store, StoreError, Transaction, Watch
from .changes import Changes
from .schema import (
    ITEM_COLUMNS,
    ORDINARY_SPAN,
    SCHEMA_VERSION,
    apply_step,
    item_row,
    load,
    load_item,
    steps,
)

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
    unread INTEGER NOT NULL DEFAULT 0,
    long_item INTEGER NOT NULL DEFAULT 0
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
CREATE INDEX IF NOT EXISTS items_long ON items (mailbox, folder, start) WHERE long_item = 1;
CREATE INDEX IF NOT EXISTS items_series ON items (mailbox, folder, start)
    WHERE kind = 'calendar_item' AND json_extract(data, '$.recurrence') IS NOT NULL;
"""
BUSY_TIMEOUT_S = 30.0
# Checkpoints (the WAL copied back into the store file, with two fsyncs) run on a thread
# of their own, at most every CHECKPOINT_EVERY_S while there are writes; left to SQLite
# they ran inside the COMMIT that crossed 1,000 WAL pages, milliseconds with the write
# lock held (every ~100th UpdateItem). Request connections keep SQLite's automatic
# checkpoint as a backstop, at BACKSTOP_PAGES, for when that thread falls behind.
CHECKPOINT_EVERY_S = 0.1
BACKSTOP_PAGES = 10_000
_SQLITE_HEADER = b"SQLite format 3\x00"


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


BULK_ROWS = 1000
BULK_CACHE_KIB = 512 * 1024


class _SqliteTransaction(Transaction):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.touched: set[str] = set()  # the mailboxes written to (lower case), woken on commit

    def get(self, item_id: str) -> Item | None:
        row = self._conn.execute("SELECT data FROM items WHERE id = ?", (item_id,)).fetchone()
        return load_item(row[0]) if row else None

    def put(self, item: Item) -> None:
        budget.check()
        self._conn.execute(f"INSERT OR REPLACE INTO items ({ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           item_row(item))
        self.touched.add(item.mailbox.lower())

    def put_many(self, items) -> int:
        # One prepared statement run for every row (executemany), inside this transaction.
        rows = [item_row(item) for item in items]
        return self.put_rows(rows)

    def put_rows(self, rows: list[tuple]) -> int:
        """Rows made by store.schema.item_row, for items new to the store."""
        budget.check()
        if len(rows) >= BULK_ROWS:
            # Item ids and UIDs are random, so a bulk load writes all over those two indexes:
            # with SQLite's default 2 MB page cache every few rows spill dirty pages to the
            # WAL. A bulk load's connection gets a larger cache (memory is taken as used).
            self._conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        self._conn.executemany(
            f"INSERT OR REPLACE INTO items ({ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.touched.update(row[1] for row in rows)  # item_row's mailbox, lower case already
        return len(rows)

    def delete(self, item_id: str) -> None:
        budget.check()
        self.touched.update(r[0] for r in self._conn.execute(
            "DELETE FROM items WHERE id = ? RETURNING mailbox", (item_id,)).fetchall())

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
        return _decoded(rows), total

    def counts(self, mailbox: str, folder: str) -> tuple[int, int]:
        total, unread = self._conn.execute(
            "SELECT count(*), coalesce(sum(unread), 0) FROM items WHERE mailbox = ? AND folder = ?",
            (mailbox.lower(), folder),
        ).fetchone()
        return total, unread

    def calendar_view(
        self, mailbox: str, folder: str, start: datetime, end: datetime
    ) -> list[Item]:
        # An ordinary item that overlaps the window starts at most ORDINARY_SPAN before it:
        # a bounded range of the (start) index, not a scan of everything earlier. Long
        # items come from their own (partial) index.
        key, first, last = (mailbox.lower(), folder), format_utc(start), format_utc(end)
        earliest = format_utc(shifted(start, -ORDINARY_SPAN))
        rows = self._conn.execute(
            'SELECT data, start, rowid FROM items WHERE mailbox = ? AND folder = ? AND start >= ? AND start < ?'
            ' AND "end" > ? AND long_item = 0'
            ' UNION ALL SELECT data, start, rowid FROM items WHERE mailbox = ? AND folder = ? AND long_item = 1'
            ' AND start < ? AND "end" > ? ORDER BY 2, 3',
            (*key, earliest, last, first, *key, last, first),
        ).fetchall()
        return _decoded(rows)

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
        return _decoded(rows)


    def recurring_masters(self, mailbox: str, folder: str) -> list[Item]:
        # The series of a folder, through a partial index of their own (items_series): a
        # calendar view reads no row of the single items.
        rows = self._conn.execute(
            "SELECT data FROM items WHERE mailbox = ? AND folder = ? AND kind = 'calendar_item'"
            " AND json_extract(data, '$.recurrence') IS NOT NULL ORDER BY start, rowid",
            (mailbox.lower(), folder),
        ).fetchall()
        return [load_item(r[0]) for r in rows]

    def get_folder(self, folder_id: str) -> dict | None:
        row = self._conn.execute("SELECT data FROM folders WHERE id = ?", (folder_id,)).fetchone()
        return load(row[0]) if row else None

    def put_folder(self, folder: dict) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO folders (id, mailbox, parent, data) VALUES (?, ?, ?, ?)",
            (folder["id"], folder["mailbox"].lower(), folder["parent"], json.dumps(folder, separators=(",", ":"))))
        self.touched.add(folder["mailbox"].lower())

    def delete_folder(self, folder_id: str) -> None:
        self.touched.update(r[0] for r in self._conn.execute(
            "DELETE FROM folders WHERE id = ? RETURNING mailbox", (folder_id,)).fetchall())

    def list_folders(self, mailbox: str) -> list[dict]:
        rows = self._conn.execute("SELECT data FROM folders WHERE mailbox = ? ORDER BY rowid",
                                  (mailbox.lower(),)).fetchall()
        return [load(r[0]) for r in rows]

    def folder_item_ids(self, mailbox: str, folder: str) -> list[str]:
        rows = self._conn.execute("SELECT id FROM items WHERE mailbox = ? AND folder = ?",
                                  (mailbox.lower(), folder)).fetchall()
        return [r[0] for r in rows]


    def get_setting(self, mailbox: str, name: str) -> object | None:
        row = self._conn.execute("SELECT value FROM settings WHERE mailbox = ? AND name = ?",
                                 (mailbox.lower(), name)).fetchone()
        return load(row[0]) if row else None

    def put_setting(self, mailbox: str, name: str, value: object) -> None:
        self._conn.execute("INSERT OR REPLACE INTO settings (mailbox, name, value) VALUES (?, ?, ?)",
                           (mailbox.lower(), name, json.dumps(value, separators=(",", ":"))))
        self.touched.add(mailbox.lower())


def _decoded(rows: list) -> list[Item]:
    """Items from rows whose first column is the record, the request's budget checked
    every few hundred rows."""
    items = []
    for n, row in enumerate(rows):
        if n % 256 == 255:
            budget.check()
        items.append(load_item(row[0]))
    return items


def _interrupt_when_spent() -> int:
    # SQLite's progress handler: a non-zero answer interrupts the running statement.
    return 1 if budget.expired() else 0


# SQLite virtual machine steps between two budget checks inside one statement (about a
# millisecond of work).
_PROGRESS_STEPS = 20_000


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
        self._changes = Changes()
        self._closed = False
        if not self._memory:
            _check_path(path)
        try:
            self._create_schema(path)
            self._writer = _WriterQueue(None if self._memory else path + ".lock")
            self._checkpointer = _Checkpointer(path) if not self._memory else None
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

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: another process may have migrated meanwhile.
            version = int(conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
            for step in steps("sqlite", version):
                apply_step(conn, step)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _connect(self) -> sqlite3.Connection:
        if self._memory:
            if not self._connections:
                conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
                conn.set_progress_handler(_interrupt_when_spent, _PROGRESS_STEPS)
                self._connections.append(conn)
            return self._connections[0]
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            conn.set_progress_handler(_interrupt_when_spent, _PROGRESS_STEPS)
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
            tx = _SqliteTransaction(conn)
            try:
                yield tx
            except sqlite3.OperationalError as exc:
                spent = budget.expired()  # the progress handler stopped a statement
                with budget.suspended():
                    conn.execute("ROLLBACK")
                if spent:
                    raise budget.timeout_error() from exc
                raise
            except BaseException:
                with budget.suspended():
                    conn.execute("ROLLBACK")
                raise
            else:
                with budget.suspended():
                    conn.execute("COMMIT")
                if tx.touched:
                    self._changes.committed(tx.touched)
        if write and not self._memory:
            self._checkpointer.wrote()

    def watch(self, mailboxes) -> Watch:
        """Woken by this process's commits the moment they are made. Another process on the
        file cannot signal this one: every wait asks, every 0.05 s, SQLite's
        ``PRAGMA data_version`` of this thread's connection, which moves when any other
        connection committed (a few microseconds, nothing read), and wakes the caller then,
        whichever mailbox that commit touched."""
        if self._memory:  # one process: every commit passes through here
            return self._changes.watch(mailboxes)
        seen = [self._data_version()]

        def elsewhere() -> bool:
            now = self._data_version()
            moved, seen[0] = now != seen[0], now
            return moved

        return self._changes.watch(mailboxes, elsewhere)

    def _data_version(self) -> int | None:
        if self._closed:
            return None
        try:
            return self._connect().execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:  # closed meanwhile: nothing to report
            return None

    def close(self) -> None:
        self._closed = True
        checkpointer = getattr(self, "_checkpointer", None)
        if checkpointer is not None:
            checkpointer.stop()
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


class _Checkpointer:
    """Runs SQLite's PASSIVE checkpoint on a thread and connection of its own after
    writes (never waiting for readers or writers; a checkpoint another process is
    running makes this one a no-op). Started at the first write, again after a fork."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._wanted = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wrote(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._stopped.is_set():
                    return
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="ews-propose-checkpoint", daemon=True)
                    self._thread.start()
        self._wanted.set()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error:
            return  # the backstop checkpoint remains
        try:
            while True:
                self._wanted.wait()
                # Writes coming in meanwhile share this checkpoint; closing the store ends the wait.
                if self._stopped.wait(CHECKPOINT_EVERY_S):
                    return
                self._wanted.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:
                    pass  # the next write asks again; the backstop checkpoint remains
        finally:
            conn.close()

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
            thread = self._thread
        self._wanted.set()
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=5)


class _NoLockType:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NoLock = _NoLockType()


def read_for_check(path: str) -> tuple[list[str], list[Item], list[str]]:
    """A store file as ``ews-propose check`` reads it, changing nothing (no schema made,
    no migration): what ``PRAGMA integrity_check`` reports other than "ok", the items,
    and a line for each row that cannot be read as an item. Raises StoreError for a
    path that is not an SQLite store."""
    if not os.path.isfile(path):
        raise StoreError(f"store {path}: no such file")
    with open(path, "rb") as fh:
        if fh.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise StoreError(f"store {path}: is not an SQLite database")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise StoreError(f"store {path}: cannot be opened: {exc}") from exc
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        try:
            rows = conn.execute("SELECT id, data FROM items ORDER BY rowid").fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"store {path}: is not an ews-propose store: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"store {path}: cannot be read: {exc}") from exc
    finally:
        conn.close()
    items, unreadable = [], []
    for item_id, data in rows:
        try:
            items.append(load_item(data))
        except (ValueError, TypeError, KeyError) as exc:
            unreadable.append(f"item {item_id}: cannot be read: {exc}")
    return [line for line in integrity if line != "ok"], items, unreadable
