"""PostgreSQL store: the SQLite store's tables and indexes on a database server, so that
several emulator processes, on one machine or many, share one set of mailboxes.

Chosen by ``--store postgresql://user:password@host:port/database`` (libpq's URL; a
``?options=-csearch_path%3DNAME`` query puts the store in schema NAME). Connections
come from a pool (psycopg_pool); every statement is prepared on the server the first
time a connection runs it (``prepare_threshold=0``).

Concurrency, the same contract as the SQLite store: a write transaction holds the
store's write lock from its start. Here that lock is a transaction-scoped advisory lock
(``pg_advisory_xact_lock``) keyed by the store's schema, taken as the first statement
of a READ COMMITTED transaction, so every read after it sees every write committed
before it, and writers of all processes queue on the server (which wakes the next one
the moment a COMMIT, a ROLLBACK or a dropped connection frees it). The rules run a
workflow step as the body of ``with store.transaction()``, which cannot be run again,
so SERIALIZABLE (whose conflicts surface as errors to retry) would turn concurrent
replies into failed requests: docs/scale-out.md has the measurement. Read transactions
are REPEATABLE READ READ ONLY: one snapshot, no lock, never blocked by writers.

Change signal (:meth:`PostgresStore.watch`): a write transaction ends with
``pg_notify(channel, mailbox)`` for each mailbox it touched, sent in the COMMIT's
pipeline (PostgreSQL delivers a notification only when its transaction commits, and
drops it on rollback). The channel names the store's schema, so stores in two schemas
of one database do not wake each other. Each process that watches holds one more
connection, in autocommit, that LISTENs on the channel from a daemon thread and wakes
the watches of the mailboxes it hears about, whichever process committed; if that
connection drops, the watches are not reliable until it is back (their callers look
at their short interval meanwhile) and every watch is woken when it is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import urlsplit

from ..rules import budget
from ..rules.model import Item, format_utc, shifted
from .base import Store, StoreError, Transaction, Watch
from .changes import Changes
from .schema import (
    ITEM_COLUMNS,
    ORDINARY_SPAN,
    SCHEMA_VERSION,
    apply_step,
    is_long,
    item_row,
    load,
    load_item,
    steps,
    time_columns,
)

POOL_SIZE = 16  # connections per process at most; a request thread holds one per transaction
CONNECT_TIMEOUT_S = 10
# The advisory lock's first key ("EWSP"); the second is a hash of the store's schema, so
# stores in different schemas of one database do not queue on each other.
LOCK_CLASS = 0x45575350
CHANNEL_PREFIX = "ews_propose."
_NAME_BYTES = 63  # PostgreSQL's identifiers (and so channels) are at most NAMEDATALEN - 1 bytes
# The LISTEN thread: how often it looks up from waiting (to see close() and to check that
# its connection is alive), and how long it waits between attempts to reconnect.
LISTEN_TICK_S = 0.5
LISTEN_CHECK_S = 10.0
RECONNECT_MIN_S, RECONNECT_MAX_S = 0.2, 5.0
_NOTIFY = "SELECT pg_notify(%s, m) FROM unnest(%s::text[]) AS m"

log = logging.getLogger("ews_propose.store")

_TABLES = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # seq plays SQLite's rowid: the order of insertion, renewed when an item is replaced.
    # Time columns hold format_utc text, compared byte by byte as in SQLite (COLLATE "C").
    """CREATE TABLE IF NOT EXISTS items (
        seq BIGSERIAL NOT NULL,
        id TEXT COLLATE "C" PRIMARY KEY,
        mailbox TEXT COLLATE "C" NOT NULL,
        folder TEXT COLLATE "C" NOT NULL,
        kind TEXT COLLATE "C" NOT NULL,
        uid TEXT COLLATE "C",
        start TEXT COLLATE "C",
        "end" TEXT COLLATE "C",
        received TEXT COLLATE "C",
        data TEXT NOT NULL,
        unread INTEGER NOT NULL DEFAULT 0,
        long_item INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS settings (
        mailbox TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (mailbox, name)
    )""",
    """CREATE TABLE IF NOT EXISTS folders (
        seq BIGSERIAL NOT NULL,
        id TEXT COLLATE "C" PRIMARY KEY,
        mailbox TEXT COLLATE "C" NOT NULL,
        parent TEXT COLLATE "C" NOT NULL,
        data TEXT NOT NULL
    )""",
]
_INDEXES = [
    "CREATE INDEX IF NOT EXISTS items_folder ON items (mailbox, folder, received)",
    'CREATE INDEX IF NOT EXISTS items_window ON items (mailbox, folder, start, "end")',
    "CREATE INDEX IF NOT EXISTS items_uid ON items (mailbox, uid, kind, folder)",
    "CREATE INDEX IF NOT EXISTS items_unread ON items (mailbox, folder, unread)",
    "CREATE INDEX IF NOT EXISTS folders_mailbox ON folders (mailbox, parent)",
    "CREATE INDEX IF NOT EXISTS items_long ON items (mailbox, folder, start) WHERE long_item = 1",
    # A calendar's series (recurring masters), as SQLite's items_series.
    "CREATE INDEX IF NOT EXISTS items_series ON items (mailbox, folder, start)"
    " WHERE kind = 'calendar_item' AND (data::jsonb ->> 'recurrence') IS NOT NULL",
]

_PUT_ITEM = (
    f'INSERT INTO items ({ITEM_COLUMNS})'
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
    " seq = excluded.seq, mailbox = excluded.mailbox, folder = excluded.folder, kind = excluded.kind,"
    ' uid = excluded.uid, start = excluded.start, "end" = excluded."end", received = excluded.received,'
    " data = excluded.data, unread = excluded.unread, long_item = excluded.long_item"
)


def display_url(url: str) -> str:
    """The URL with its password left out, for messages and the banner."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()
    except ValueError:
        return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", url)


def _decoded(rows: list) -> list[Item]:
    """Items from rows whose first column is the record, the request's budget checked
    every few hundred rows (as in SQLite)."""
    items = []
    for n, row in enumerate(rows):
        if n % 256 == 255:
            budget.check()
        items.append(load_item(row[0]))
    return items


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def channel_for(schema: str) -> str:
    """The notification channel of the store in ``schema``: its name after the prefix,
    or a digest of it when the whole would be longer than PostgreSQL takes."""
    name = CHANNEL_PREFIX + schema
    if len(name.encode()) > _NAME_BYTES:
        name = CHANNEL_PREFIX + hashlib.sha1(schema.encode()).hexdigest()
    return name


class _PgTransaction(Transaction):
    """Writes (which answer nothing) wait in a queue and go to the server together, in
    pipeline mode, before the next read and with the COMMIT: a reply's five upserts and
    its commit are one round trip instead of six. Reads see every write made before
    them, as the queue is sent first."""

    def __init__(self, cur, channel: str = "") -> None:
        self._cur = cur
        self._queued: list[tuple[str, tuple | list]] = []
        self._channel = channel
        self.touched: set[str] = set()  # the mailboxes written to (lower case), notified at commit

    def notify_touched(self) -> None:
        """Queue the notification of every mailbox written to, to go with the COMMIT."""
        if self.touched:
            self._write(_NOTIFY, (self._channel, sorted(self.touched)))

    def _write(self, sql: str, args: tuple | list) -> None:
        self._queued.append((sql, args))

    def flush(self, *then: str) -> None:
        """Send the queued writes (and the statements ``then``, unprepared) in one pipeline."""
        if not self._queued and not then:
            return
        queued, self._queued = self._queued, []
        if len(queued) + len(then) == 1:
            if queued:
                self._cur.execute(*queued[0])
            else:
                self._cur.execute(then[0], prepare=False)
            return
        with self._cur.connection.pipeline():
            for sql, args in queued:
                self._cur.execute(sql, args)
            for sql in then:
                self._cur.execute(sql, prepare=False)

    def _rows(self, sql: str, args: tuple | list = ()) -> list:
        self.flush()
        self._cur.execute(sql, args)
        return self._cur.fetchall()

    def _row(self, sql: str, args: tuple | list = ()):
        self.flush()
        self._cur.execute(sql, args)
        return self._cur.fetchone()

    def get(self, item_id: str) -> Item | None:
        row = self._row("SELECT data FROM items WHERE id = %s", (item_id,))
        return load_item(row[0]) if row else None

    def put(self, item: Item) -> None:
        budget.check()
        self._write(_PUT_ITEM, item_row(item))
        self.touched.add(item.mailbox.lower())

    def put_many(self, items) -> int:
        return self.put_rows([item_row(item) for item in items])

    def put_rows(self, rows: list[tuple]) -> int:
        """Rows made by store.schema.item_row, for items new to the store: one COPY (a
        row already in the store is a unique violation, and the transaction fails)."""
        budget.check()
        self.flush()
        with self._cur.copy(f"COPY items ({ITEM_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self.touched.update(row[1] for row in rows)  # item_row's mailbox, lower case already
        return len(rows)

    def delete(self, item_id: str) -> None:
        budget.check()
        # The mailbox is the deleted row's: notified by the statement itself (its result,
        # in the pipeline, is not read; the notification waits for the COMMIT).
        self._write("DELETE FROM items WHERE id = %s RETURNING pg_notify(%s, mailbox)", (item_id, self._channel))

    def list_folder(
        self, mailbox: str, folder: str, offset: int = 0, limit: int | None = None
    ) -> tuple[list[Item], int]:
        key = (mailbox.lower(), folder)
        total = self._row("SELECT count(*) FROM items WHERE mailbox = %s AND folder = %s", key)[0]
        rows = self._rows(
            "SELECT data FROM items WHERE mailbox = %s AND folder = %s"
            " ORDER BY received DESC NULLS LAST, seq DESC LIMIT %s OFFSET %s",
            (*key, limit, offset))
        return _decoded(rows), total

    def counts(self, mailbox: str, folder: str) -> tuple[int, int]:
        total, unread = self._row(
            "SELECT count(*), coalesce(sum(unread), 0) FROM items WHERE mailbox = %s AND folder = %s",
            (mailbox.lower(), folder))
        return int(total), int(unread)

    def calendar_view(
        self, mailbox: str, folder: str, start: datetime, end: datetime
    ) -> list[Item]:
        # As in SQLite: an ordinary item overlapping the window starts at most
        # ORDINARY_SPAN before it (a bounded range of the start index); long items come
        # from their own partial index.
        key, first, last = (mailbox.lower(), folder), format_utc(start), format_utc(end)
        earliest = format_utc(shifted(start, -ORDINARY_SPAN))
        rows = self._rows(
            'SELECT data, start, seq FROM items WHERE mailbox = %s AND folder = %s AND start >= %s AND start < %s'
            ' AND "end" > %s AND long_item = 0'
            ' UNION ALL SELECT data, start, seq FROM items WHERE mailbox = %s AND folder = %s AND long_item = 1'
            ' AND start < %s AND "end" > %s ORDER BY 2, 3',
            (*key, earliest, last, first, *key, last, first))
        return _decoded(rows)

    def by_uid(self, mailbox: str, uid: str, kinds: tuple[str, ...] | None = None,
               folder: str | None = None) -> list[Item]:
        # One statement text whatever the filters (a NULL filter matches everything), so
        # it is prepared once.
        rows = self._rows(
            "SELECT data FROM items WHERE mailbox = %s AND uid = %s"
            " AND (%s::text[] IS NULL OR kind = ANY(%s::text[])) AND (%s::text IS NULL OR folder = %s)"
            " ORDER BY seq",
            (mailbox.lower(), uid, list(kinds) if kinds else None, list(kinds) if kinds else None,
             folder, folder))
        return _decoded(rows)

    def recurring_masters(self, mailbox: str, folder: str) -> list[Item]:
        # Through the partial index items_series: a calendar view reads no single item.
        rows = self._rows(
            "SELECT data FROM items WHERE mailbox = %s AND folder = %s AND kind = 'calendar_item'"
            " AND (data::jsonb ->> 'recurrence') IS NOT NULL ORDER BY start, seq", (mailbox.lower(), folder))
        return _decoded(rows)

    def get_folder(self, folder_id: str) -> dict | None:
        row = self._row("SELECT data FROM folders WHERE id = %s", (folder_id,))
        return load(row[0]) if row else None

    def put_folder(self, folder: dict) -> None:
        self._write(
            "INSERT INTO folders (id, mailbox, parent, data) VALUES (%s, %s, %s, %s) ON CONFLICT (id)"
            " DO UPDATE SET seq = excluded.seq, mailbox = excluded.mailbox, parent = excluded.parent,"
            " data = excluded.data",
            (folder["id"], folder["mailbox"].lower(), folder["parent"], json.dumps(folder, separators=(",", ":"))))
        self.touched.add(folder["mailbox"].lower())

    def delete_folder(self, folder_id: str) -> None:
        self._write("DELETE FROM folders WHERE id = %s RETURNING pg_notify(%s, mailbox)",
                    (folder_id, self._channel))

    def list_folders(self, mailbox: str) -> list[dict]:
        rows = self._rows("SELECT data FROM folders WHERE mailbox = %s ORDER BY seq", (mailbox.lower(),))
        return [load(r[0]) for r in rows]

    def folder_item_ids(self, mailbox: str, folder: str) -> list[str]:
        rows = self._rows("SELECT id FROM items WHERE mailbox = %s AND folder = %s", (mailbox.lower(), folder))
        return [r[0] for r in rows]

    def get_setting(self, mailbox: str, name: str) -> object | None:
        row = self._row("SELECT value FROM settings WHERE mailbox = %s AND name = %s", (mailbox.lower(), name))
        return load(row[0]) if row else None

    def put_setting(self, mailbox: str, name: str, value: object) -> None:
        self._write(
            "INSERT INTO settings (mailbox, name, value) VALUES (%s, %s, %s)"
            " ON CONFLICT (mailbox, name) DO UPDATE SET value = excluded.value",
            (mailbox.lower(), name, json.dumps(value, separators=(",", ":"))))
        self.touched.add(mailbox.lower())


class PostgresStore(Store):
    """A PostgreSQL database (or a schema of one) at a libpq URL.

    An unreachable server, a URL libpq cannot read, refused credentials or a store of a
    newer schema raise :class:`StoreError` with one line naming the URL (password left
    out) and the reason."""

    def __init__(self, url: str, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.path = display_url(url)
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise StoreError(f"store {self.path}: PostgreSQL stores need psycopg and psycopg_pool "
                             f"(pip install 'ews-propose[postgresql]'): {exc}") from exc
        self._psycopg = psycopg
        self._pool = None
        self._changes = Changes()
        self._listener: _Listener | None = None
        self._listener_lock = threading.Lock()
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
                schema, key = conn.execute("SELECT current_schema(), hashtext(current_schema())").fetchone()
                if schema is None:
                    raise TypeError("no schema")
                self._lock_key = (LOCK_CLASS, key)
                self.channel = channel_for(schema)
                self._create_schema(conn)
        except StoreError:
            raise
        except psycopg.Error as exc:
            raise StoreError(f"store {self.path}: {_one_line(exc)}") from exc
        except TypeError as exc:  # a current_schema() of NULL: the search_path names no schema
            raise StoreError(f"store {self.path}: the search_path names no existing schema") from exc
        # Sent with BEGIN in one message (no parameters: the key is two integers of ours).
        classid, objid = (int(k) for k in self._lock_key)
        self._lock_statement = f"SELECT pg_advisory_xact_lock({classid}, {objid})"
        self._pool = ConnectionPool(
            url, min_size=1, max_size=pool_size, open=True, name="ews-propose",
            kwargs=dict(autocommit=True, prepare_threshold=0, connect_timeout=CONNECT_TIMEOUT_S))

    def _create_schema(self, conn) -> None:
        # Under the write lock: processes starting together would otherwise race on
        # CREATE TABLE IF NOT EXISTS (PostgreSQL's catalog rejects the second one).
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", self._lock_key)
            for sql in _TABLES:
                conn.execute(sql)
            found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if found is not None and int(found[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"store {self.path} has schema version {found[0]}; this ews-propose reads up to {SCHEMA_VERSION}")
            if found is None:
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', %s)", (str(SCHEMA_VERSION),))
            elif int(found[0]) < SCHEMA_VERSION:
                for step in steps("postgresql", int(found[0])):
                    apply_step(conn, step)
                conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
            for sql in _INDEXES:
                conn.execute(sql)

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Transaction]:
        # A request's time budget becomes the server's statement_timeout for this
        # transaction: it bounds the wait for the write lock and every statement, as
        # SQLite's progress handler does there.
        left = budget.remaining()
        if left is not None and left <= 0:
            raise budget.timeout_error()
        limit = "" if left is None else f"; SET LOCAL statement_timeout = {max(1, int(left * 1000))}"
        if write:  # one round trip: BEGIN, the limit, and the lock as the first statement
            begin = f"BEGIN ISOLATION LEVEL READ COMMITTED{limit}; {self._lock_statement}"
        else:
            begin = f"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY{limit}"
        # The queued writes, then COMMIT, in one round trip; the limit lifted before COMMIT
        # (separate statements: a pipeline sends each on its own).
        commit = ("COMMIT",) if left is None else ("SET LOCAL statement_timeout = 0", "COMMIT")
        with self._pool.connection() as conn, conn.cursor() as cur:
            try:
                cur.execute(begin, prepare=False)
                tx = _PgTransaction(cur, self.channel)
                yield tx
                with budget.suspended():  # each write was checked against the budget when made
                    tx.notify_touched()
                    tx.flush(*commit)
            except self._psycopg.errors.QueryCanceled as exc:
                self._rollback(cur)
                if budget.expired():
                    raise budget.timeout_error() from exc
                raise
            except BaseException:
                self._rollback(cur)
                raise

    def _rollback(self, cur) -> None:
        with budget.suspended():
            try:
                cur.execute("ROLLBACK")
            except self._psycopg.Error:
                pass  # a broken connection: the server has rolled back already

    def watch(self, mailboxes) -> Watch:
        """Woken by the notifications of every process's commits, read by this process's
        LISTEN connection (started by the first watch)."""
        with self._listener_lock:
            if self._listener is None:
                if self._pool is None:
                    return Watch()  # closed
                self._listener = _Listener(self.url, self.channel, self._changes, self._psycopg, self.path)
            listener = self._listener
        return self._changes.watch(mailboxes, reliable=lambda: listener.connected)

    def close(self) -> None:
        with self._listener_lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
        if self._pool is not None:
            self._pool.close()
            self._pool = None


class _Listener:
    """One store's LISTEN connection in this process, on a daemon thread of its own: the
    channel's notifications wake the watches of their mailboxes. A dropped connection is
    made again (after a pause that grows to RECONNECT_MAX_S); every watch is woken
    when it drops and when it is back, as notifications in between are lost."""

    def __init__(self, url: str, channel: str, changes: Changes, psycopg, shown: str) -> None:
        self._url, self._channel, self._changes, self._psycopg, self._shown = url, channel, changes, psycopg, shown
        self.connected = False
        self._failing = False  # a failure was logged, not yet the recovery
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ews-propose-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=LISTEN_TICK_S + CONNECT_TIMEOUT_S)

    def _run(self) -> None:
        psycopg = self._psycopg
        from psycopg import sql

        pause = RECONNECT_MIN_S
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    if self._failing:
                        log.warning("store %s: listening for changes again", self._shown)
                        self._failing = False
                    self.connected, pause = True, RECONNECT_MIN_S
                    self._changes.wake_all()  # what committed while nobody listened
                    self._listen(conn)
            except psycopg.Error as exc:
                if not self._failing:
                    self._failing = True
                    log.warning("store %s: the connection that listens for changes failed (%s); streams look "
                                "for changes at their short interval until it is back", self._shown, _one_line(exc))
            finally:
                if self.connected:
                    self.connected = False
                    self._changes.wake_all()
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, RECONNECT_MAX_S)

    def _listen(self, conn) -> None:
        checked = time.monotonic()
        while not self._stopping.is_set():
            for note in conn.notifies(timeout=LISTEN_TICK_S):
                self._changes.committed((note.payload,))
            if time.monotonic() - checked >= LISTEN_CHECK_S:  # a connection gone quiet may be gone
                conn.execute("SELECT 1")
                checked = time.monotonic()


def read_for_check(url: str) -> tuple[list[str], list[Item], list[str]]:
    """A PostgreSQL store as ``ews-propose check`` reads it, in one read-only snapshot,
    changing nothing: a line for each row whose indexed columns disagree with its
    record (what the queries see against what the rules wrote), the items, and a line
    for each row that cannot be read as an item."""
    path = display_url(url)
    try:
        import psycopg
    except ImportError as exc:
        raise StoreError(f"store {path}: PostgreSQL stores need psycopg (pip install 'ews-propose[postgresql]')") \
            from exc
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            if None in conn.execute("SELECT to_regclass('meta'), to_regclass('items')").fetchone():
                raise StoreError(f"store {path}: is not an ews-propose store (no meta and items tables)")
            found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(found[0]) if found else 0
            if version != SCHEMA_VERSION:
                raise StoreError(f"store {path} has schema version {version}; check reads version {SCHEMA_VERSION} "
                                 "(start `serve` on it once to migrate)")
            rows = conn.execute('SELECT id, data, mailbox, folder, kind, uid, start, "end", received, unread,'
                                " long_item FROM items ORDER BY seq").fetchall()
    except psycopg.Error as exc:
        raise StoreError(f"store {path}: {_one_line(exc)}") from exc
    names = ("mailbox", "folder", "kind", "uid", "start", "end", "received", "unread", "long_item")
    integrity, items, unreadable = [], [], []
    for item_id, data, *columns in rows:
        try:
            item = load_item(data)
        except (ValueError, TypeError, KeyError) as exc:
            unreadable.append(f"item {item_id}: cannot be read: {exc}")
            continue
        items.append(item)
        expected = (item.mailbox.lower(), item.folder, item.kind, item.uid, *time_columns(item),
                    0 if item.is_read else 1, is_long(item))
        wrong = [name for name, got, want in zip(names, columns, expected, strict=True) if got != want]
        if item.id != item_id:
            wrong.insert(0, "id")
        if wrong:
            integrity.append(f"item {item_id}: its {', '.join(wrong)} column(s) disagree with its record")
    return integrity, items, unreadable
