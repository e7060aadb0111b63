"""The store's schema version and the steps between versions, for every backend side by side.

A new version is one entry of MIGRATIONS with the steps for each backend (an empty list
where that backend has nothing to convert), plus the column or table in each backend's
CREATE statements (ews_propose/store/sqlite.py, ews_propose/store/postgresql.py).
Each step brings a store from the version before it to the one it is filed under; a
step is an SQL statement, or a function given the backend's connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import orjson

from ..rules.model import Item, format_utc, from_record, to_record

SCHEMA_VERSION = 4

# An item lasting longer than this is "long": calendar views find ordinary items in a
# bounded range of the start index, and long ones (rare) through an index of their own.
# Nothing one item does changes how another mailbox's views are answered.
ORDINARY_SPAN = timedelta(days=7)


def time_columns(item: Item) -> tuple[str | None, str | None, str | None]:
    """The start, end and received columns of an item's row."""
    return (format_utc(item.start) if item.start else None, format_utc(item.end) if item.end else None,
            format_utc(item.received) if item.received else None)


def is_long(item: Item) -> int:
    """The long_item column of an item's row."""
    return int(item.start is not None and item.end is not None and item.end - item.start > ORDINARY_SPAN)


def load(text: str | bytes) -> object:
    """A stored JSON value (an item's record, a folder, a setting), read with orjson: a
    fourth of json's time for a record, and a calendar view reads one per item. orjson
    refuses what json.dumps may have written and json reads (a lone surrogate's escape,
    NaN): those are read by json, so every stored row reads as it always did."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def load_item(text: str | bytes) -> Item:
    return from_record(load(text))  # type: ignore[arg-type]


# The items table's columns in the order item_row gives them (both backends' INSERTs).
ITEM_COLUMNS = 'id, mailbox, folder, kind, uid, start, "end", received, data, unread, long_item'


def item_row(item: Item) -> tuple:
    """An item's row of the items table, in ITEM_COLUMNS order."""
    return (item.id, item.mailbox.lower(), item.folder, item.kind, item.uid, *time_columns(item),
            json.dumps(to_record(item), separators=(",", ":")), 0 if item.is_read else 1, is_long(item))


def _sqlite_repair_times(conn) -> None:
    """Rewrite the rows an older version stored with a year of fewer than four digits
    ("1-01-01T..."): unreadable, and they sorted before everything."""
    padded = "[0-9][0-9][0-9][0-9]-*"
    rows = conn.execute(
        "SELECT id, data FROM items WHERE start NOT GLOB ? OR \"end\" NOT GLOB ? OR received NOT GLOB ?"
        " OR data GLOB '*\"[0-9]-[0-9][0-9]-[0-9][0-9]T*' OR data GLOB '*\"[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*'"
        " OR data GLOB '*\"[0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*'", (padded, padded, padded)).fetchall()
    for item_id, data in rows:
        item = from_record(json.loads(data))
        conn.execute('UPDATE items SET start = ?, "end" = ?, received = ?, data = ? WHERE id = ?',
                     (*time_columns(item), json.dumps(to_record(item), separators=(",", ":")), item_id))


def _postgresql_repair_times(conn) -> None:
    """The same repair on PostgreSQL (a version-3 store written before times were padded)."""
    rows = conn.execute(
        "SELECT id, data FROM items WHERE start !~ '^[0-9]{4}-' OR \"end\" !~ '^[0-9]{4}-'"
        " OR received !~ '^[0-9]{4}-' OR data ~ '\"[0-9]{1,3}-[0-9]{2}-[0-9]{2}T'").fetchall()
    for item_id, data in rows:
        item = from_record(json.loads(data))
        conn.execute('UPDATE items SET start = %s, "end" = %s, received = %s, data = %s WHERE id = %s',
                     (*time_columns(item), json.dumps(to_record(item), separators=(",", ":")), item_id))


Step = str | Callable[[object], None]
_SPAN_S = str(int(ORDINARY_SPAN.total_seconds()))

MIGRATIONS: dict[int, dict[str, list[Step]]] = {
    2: {  # unread as a column, so a folder's unread count is an index count
        "sqlite": [
            "ALTER TABLE items ADD COLUMN unread INTEGER NOT NULL DEFAULT 0",
            "UPDATE items SET unread = CASE WHEN json_extract(data, '$.is_read') = 1 THEN 0 ELSE 1 END",
        ],
        # PostgreSQL stores begin at version 3: nothing before it to convert.
        "postgresql": [],
    },
    3: {  # the folders and settings tables: made by each backend's CREATE statements
        "sqlite": [],
        "postgresql": [],
    },
    4: {  # long items flagged instead of one store-wide longest duration; unpadded years repaired
        "sqlite": [
            "ALTER TABLE items ADD COLUMN long_item INTEGER NOT NULL DEFAULT 0",
            _sqlite_repair_times,
            "UPDATE items SET long_item = 1 WHERE (julianday(\"end\") - julianday(start)) * 86400 > " + _SPAN_S,
            "DELETE FROM meta WHERE key = 'longest_item_s'",
        ],
        "postgresql": [
            "ALTER TABLE items ADD COLUMN IF NOT EXISTS long_item INTEGER NOT NULL DEFAULT 0",
            _postgresql_repair_times,
            "UPDATE items SET long_item = 1 WHERE extract(epoch FROM (\"end\"::timestamptz - start::timestamptz))"
            " > " + _SPAN_S,
            "DELETE FROM meta WHERE key = 'longest_item_s'",
        ],
    },
}


def steps(backend: str, found: int) -> list[Step]:
    """The steps that bring a ``backend`` store from version ``found`` to SCHEMA_VERSION."""
    return [step for target in range(found + 1, SCHEMA_VERSION + 1) for step in MIGRATIONS[target][backend]]


def apply_step(conn, step: Step) -> None:
    step(conn) if callable(step) else conn.execute(step)
