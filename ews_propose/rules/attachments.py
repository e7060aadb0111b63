"""Attachments of items: files and embedded items, stored with their item (one row, one
transaction). An attachment's id names its item: it is the item's id bytes and the
attachment's own token, so copies of an item (sent, delivered) have their own ids."""

from __future__ import annotations

import base64
import binascii
import os

from ..store.base import Store
from . import clock, ids
from . import errors as E
from .errors import RuleError
from .mailbox import owned_item
from .model import Item, format_utc

_TAG = b"\x03"
_ITEM_TAG = b"\x01EP"


def attachment_id(item_id: str, aid: str, *nested: str) -> str:
    """The id of an item's attachment; ``nested``: the tokens of attachments of attached
    items, one per level below it."""
    raw = base64.b64decode(item_id)
    path = b"".join(bytes.fromhex(a) for a in (aid, *nested))
    return base64.b64encode(_TAG + raw[len(_ITEM_TAG):] + path).decode("ascii")


def parse_attachment_path(token: str) -> tuple[str, list[str]]:
    """(item id, the attachment tokens from the item down) of any attachment id."""
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) < 33 or (len(raw) - 25) % 8 or not raw.startswith(_TAG):
        raise RuleError(E.ID_MALFORMED, "Id is malformed.")
    rest = raw[25:]
    return (base64.b64encode(_ITEM_TAG + raw[1:25]).decode("ascii"),
            [rest[i:i + 8].hex() for i in range(0, len(rest), 8)])


def parse_attachment_id(token: str) -> tuple[str, str]:
    """(item id, attachment token) of an attachment id; RuleError when malformed."""
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 33 or not raw.startswith(_TAG):
        raise RuleError(E.ID_MALFORMED, "Id is malformed.")
    return base64.b64encode(_ITEM_TAG + raw[1:25]).decode("ascii"), raw[25:].hex()


def new_token() -> str:
    return os.urandom(8).hex()


def stamp(attachment: dict) -> dict:
    """An attachment as stored: its token and modification time given."""
    out = dict(attachment)
    out.setdefault("aid", new_token())
    out.setdefault("modified", format_utc(clock.now()))
    return out


def has_attachments(item: Item) -> bool:
    return any(not a.get("is_inline") for a in item.attachments)


class AttachmentRules:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, actor: str, item_id: str, attachments: list[dict]) -> tuple[Item, list[str]]:
        """Attach to an item; (the item as changed, the new attachment ids)."""
        with self.store.transaction() as tx:
            item = _owned(tx, actor, item_id)
            added = [stamp(a) for a in attachments]
            item.attachments = [*item.attachments, *added]
            item.change_key = ids.new_change_key()
            tx.put(item)
        return item, [attachment_id(item.id, a["aid"]) for a in added]

    def get(self, actor: str, token: str) -> tuple[Item, dict, list[str]]:
        """(the item at the top, the attachment, the tokens of its path from that item);
        an attachment of an attached item is found through its parents."""
        item_id, path = parse_attachment_path(token)
        with self.store.transaction(write=False) as tx:
            item = _owned(tx, actor, item_id, E.ATTACHMENT_NOT_FOUND)
        attachments, found = item.attachments, None
        for aid in path:
            found = next((a for a in attachments if a["aid"] == aid), None)
            if found is None:
                raise RuleError(E.ATTACHMENT_NOT_FOUND, "The attachment was not found.")
            attachments = (found.get("item") or {}).get("attachments") or []
        assert found is not None
        return item, found, path

    def delete(self, actor: str, token: str) -> Item:
        item_id, aid = parse_attachment_id(token)
        with self.store.transaction() as tx:
            item = _owned(tx, actor, item_id, E.ATTACHMENT_NOT_FOUND)
            kept = [a for a in item.attachments if a["aid"] != aid]
            if len(kept) == len(item.attachments):
                raise RuleError(E.ATTACHMENT_NOT_FOUND, "The attachment was not found.")
            item.attachments = kept
            item.change_key = ids.new_change_key()
            tx.put(item)
            return item


def _owned(tx, actor: str, item_id: str, missing: str = E.ITEM_NOT_FOUND) -> Item:
    return owned_item(tx, actor, item_id, missing, check_format=False)
