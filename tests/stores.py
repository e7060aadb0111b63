"""Which store backend the suite runs on, and a fresh store for each test.

``pytest --store-backend=postgresql`` (or ``EWS_PROPOSE_TEST_STORE=postgresql``) puts
every emulator the tests start on PostgreSQL: the server at ``EWS_PROPOSE_TEST_PG_URL``,
or one that tests/conftest.py starts for the session (tests/pg_server.py). Each
:func:`store_for` call makes a new schema there, so each test starts on an empty store;
its URL names the schema through libpq's ``options`` (search_path).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

BACKEND_ENV = "EWS_PROPOSE_TEST_STORE"
URL_ENV = "EWS_PROPOSE_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")

_counter = itertools.count(1)
made_schemas: list[str] = []


def backend() -> str:
    return os.environ.get(BACKEND_ENV, "sqlite")


def on_postgresql() -> bool:
    return backend() == "postgresql"


def with_search_path(url: str, schema: str) -> str:
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"


def new_schema() -> str:
    """A fresh schema on the test server; its store URL."""
    import psycopg

    url = os.environ[URL_ENV]
    name = f"t{os.getpid()}_{next(_counter)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{name}"')
    made_schemas.append(name)
    return with_search_path(url, name)


def store_for(directory: Path, name: str = "store.sqlite3") -> str:
    """The ``--store`` value of a new, empty store: a file in ``directory`` on SQLite, a new
    schema on PostgreSQL."""
    if on_postgresql():
        return new_schema()
    return str(Path(directory) / name)


def drop_schemas() -> None:
    if not made_schemas:
        return
    import psycopg

    with psycopg.connect(os.environ[URL_ENV], autocommit=True) as conn:
        for name in made_schemas:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    made_schemas.clear()

