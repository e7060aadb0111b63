"""Persistence behind one interface: :class:`Store` hands out :class:`Transaction` s.

:func:`open_store` is the one place a ``--store`` value becomes a store: a
``postgresql://`` (or ``postgres://``) URL opens a PostgreSQL database, anything else
is an SQLite file path or ``:memory:``."""

from __future__ import annotations

from .base import Store, StoreError, Transaction
from .sqlite import SqliteStore

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: str) -> bool:
    """Whether ``location`` names a database server rather than a file."""
    return location.startswith(URL_SCHEMES)


def describe(location: str) -> str:
    """``location`` as shown to people: a URL without its password."""
    if is_url(location):
        from .postgresql import display_url

        return display_url(location)
    return location


def open_store(location: str) -> Store:
    if is_url(location):
        from .postgresql import PostgresStore  # psycopg loads only for a PostgreSQL store

        return PostgresStore(location)
    return SqliteStore(location)


def read_for_check(location: str):
    """``ews-propose check``'s view of a store, changing nothing: (integrity findings,
    items, unreadable rows); StoreError when it cannot be read."""
    if is_url(location):
        from .postgresql import read_for_check as read_database

        return read_database(location)
    from .sqlite import read_for_check as read_file

    return read_file(location)


__all__ = ["Store", "Transaction", "SqliteStore", "StoreError", "open_store", "is_url", "describe", "read_for_check"]
