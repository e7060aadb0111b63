"""The store's schema version and the steps between versions, for every backend side by side.

A new version is one entry here with the statements for each backend (an empty list
where that backend has nothing to convert), plus the column or table in each backend's
CREATE statements (ews_propose/store/sqlite.py, ews_propose/store/postgresql.py).
Each step brings a store from the version before it to the one it is filed under.
"""

from __future__ import annotations

SCHEMA_VERSION = 3

MIGRATIONS: dict[int, dict[str, list[str]]] = {
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
}


def steps(backend: str, found: int) -> list[str]:
    """The statements that bring a ``backend`` store from version ``found`` to SCHEMA_VERSION."""
    return [sql for target in range(found + 1, SCHEMA_VERSION + 1) for sql in MIGRATIONS[target][backend]]
