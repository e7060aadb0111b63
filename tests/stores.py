"""Which store backend the suite runs on, and a fresh store for each test.

``pytest --store-backend=postgresql`` (or ``EWS_PROPOSE_TEST_STORE=postgresql``) puts
every emulator the tests start on PostgreSQL: the server at ``EWS_PROPOSE_TEST_PG_URL``,
or one that tests/conftest.py starts for the session (tests/pg_server.py). Each
:func:`store_for` call makes a new schema there, so each test starts on an empty store;
its URL names the schema through libpq's ``options`` (search_path).
"""

from __future__ import annotations

import os
from pathlib import Path

from ews_propose.testing.postgresql import drop_schema, fresh_schema

BACKEND_ENV = "EWS_PROPOSE_TEST_STORE"
URL_ENV = "EWS_PROPOSE_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")

made_schemas: list[str] = []


def backend() -> str:
    return os.environ.get(BACKEND_ENV, "sqlite")


def on_postgresql() -> bool:
    return backend() == "postgresql"


def new_schema() -> str:
    """A fresh schema on the test server; its store URL."""
    name, url = fresh_schema(os.environ[URL_ENV], prefix=f"t{os.getpid()}")
    made_schemas.append(name)
    return url


def store_for(directory: Path, name: str = "store.sqlite3") -> str:
    """The ``--store`` value of a new, empty store: a file in ``directory`` on SQLite, a new
    schema on PostgreSQL."""
    if on_postgresql():
        return new_schema()
    return str(Path(directory) / name)


def store_on(backend: str, directory: Path, name: str = "store.sqlite3") -> str:
    """A new, empty store on the backend a parametrized test names, whichever one the
    suite runs on: a file in ``directory``, or a new schema (skipped without a server)."""
    if backend == "sqlite":
        return str(Path(directory) / name)
    if not os.environ.get(URL_ENV):
        import pytest

        pytest.skip("no PostgreSQL server (run with --store-backend=postgresql)")
    return new_schema()


def drop_schemas() -> None:
    if not made_schemas:
        return
    for name in made_schemas:
        drop_schema(os.environ[URL_ENV], name)
    made_schemas.clear()

