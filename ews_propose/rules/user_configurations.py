"""User configuration objects (Get/Create/Update/DeleteUserConfiguration): named settings
an application keeps in a folder (Exchange keeps them as folder-associated items).

One per name and folder of a mailbox. Its parts (a dictionary, XML data, binary data)
are kept as the surface hands them over; this module does not read them. A
configuration has an item id of its own, as in Exchange.
"""

from __future__ import annotations

import re

from ..store.base import Store
from . import errors as E
from . import ids
from .errors import RuleError

PARTS = ("dictionary", "xml_data", "binary_data")
# Exchange: fewer than 237 characters, letters, digits and dots, not IPM.Configuration.*
_NAME = re.compile(r"[A-Za-z0-9.]{1,236}")


def _key(folder: str, name: str) -> str:
    return f"user-configuration/{folder}/{name}"


class UserConfigurations:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, actor: str, folder: str, name: str) -> dict:
        with self.store.transaction(write=False) as tx:
            record = tx.get_setting(actor, _key(folder, name))
        if not isinstance(record, dict):
            raise RuleError(E.ITEM_NOT_FOUND, "The specified object was not found in the store.")
        return record

    def create(self, actor: str, folder: str, name: str, parts: dict) -> dict:
        if not _NAME.fullmatch(name) or name.lower().startswith("ipm.configuration"):
            raise RuleError(E.INVALID_ARGUMENT, "A user configuration name has fewer than 237 characters, "
                            "only letters, digits and dots, and does not start with IPM.Configuration.")
        with self.store.transaction() as tx:
            if isinstance(tx.get_setting(actor, _key(folder, name)), dict):
                raise RuleError(E.ITEM_SAVE, "A user configuration with this name already exists in the folder.")
            record = {"id": ids.new_item_id(), "change_key": ids.new_change_key(),
                      **{p: parts.get(p) for p in PARTS}}
            tx.put_setting(actor, _key(folder, name), record)
        return record

    def update(self, actor: str, folder: str, name: str, parts: dict) -> dict:
        """The parts given replace the kept ones; the others stay."""
        with self.store.transaction() as tx:
            record = tx.get_setting(actor, _key(folder, name))
            if not isinstance(record, dict):
                raise RuleError(E.ITEM_NOT_FOUND, "The specified object was not found in the store.")
            record.update({p: v for p, v in parts.items() if p in PARTS and v is not None})
            record["change_key"] = ids.new_change_key()
            tx.put_setting(actor, _key(folder, name), record)
        return record

    def delete(self, actor: str, folder: str, name: str) -> None:
        with self.store.transaction() as tx:
            if not isinstance(tx.get_setting(actor, _key(folder, name)), dict):
                raise RuleError(E.ITEM_NOT_FOUND, "The specified object was not found in the store.")
            tx.put_setting(actor, _key(folder, name), None)
