"""Persistence behind one interface: :class:`Store` hands out :class:`Transaction` s."""

from .base import Store, Transaction
from .sqlite import SqliteStore, StoreError, open_store

__all__ = ["Store", "Transaction", "SqliteStore", "StoreError", "open_store"]
