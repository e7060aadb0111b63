"""A schema of its own on a PostgreSQL database for each emulator a test starts.

The store's tables live in the schema the connection's search_path names, so one
database holds any number of independent stores: :func:`fresh_schema` makes an empty
schema and returns the store URL that points into it (libpq's ``options`` parameter
sets search_path); :func:`drop_schema` removes it and everything in it.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from urllib.parse import quote

_counter = itertools.count(1)
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def with_search_path(url: str, schema: str) -> str:
    """``url`` with its connections' search_path set to ``schema``."""
    return url + ("&" if "?" in url else "?") + "options=" + quote(f"-csearch_path={schema}", safe="")


def fresh_schema(url: str, prefix: str = "ews_test") -> tuple[str, str]:
    """A new, empty schema on the database at ``url``: (its name, the store URL into it)."""
    import psycopg  # only a PostgreSQL store needs the driver

    name = f"{prefix}_{os.getpid()}_{next(_counter)}_{secrets.token_hex(3)}"
    if not _NAME.match(name):
        raise ValueError(f"not a plain schema name: {name!r}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{name}"')
    return name, with_search_path(url, name)


def drop_schema(url: str, name: str) -> None:
    """Remove the schema ``name`` (made by :func:`fresh_schema`) and its tables."""
    import psycopg

    if not _NAME.match(name):
        raise ValueError(f"not a plain schema name: {name!r}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def schemas_named(url: str, prefix: str) -> list[str]:
    """The schemas on the database whose names start with ``prefix`` (for cleanup checks)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) ORDER BY 1",
                            (prefix,)).fetchall()
    return [r[0] for r in rows]
