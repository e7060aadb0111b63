"""Synchronization (SyncFolderItems / SyncFolderHierarchy): what changed in a folder
since the client's last sync state.

A sync state is a self-contained token: the compressed snapshot of what the client has
seen (per item a digest of its content and its read flag; per folder its name, class,
parent and change key). It needs nothing kept on the server, so a state from before a
restart keeps working; a token that does not decode, or belongs to another folder, is
refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from dataclasses import dataclass

from ..store.base import Store
from . import errors as E
from .errors import RuleError
from .folders import Folder, FolderRules
from .model import Item, to_record

CREATE, UPDATE, DELETE, READ_FLAG = "create", "update", "delete", "read_flag_change"


@dataclass
class Change:
    kind: str  # create | update | delete | read_flag_change
    key: str  # item id or folder key
    item: Item | None = None
    folder: Folder | None = None
    is_read: bool | None = None


def content_digest(item: Item) -> str:
    """What a client would see change in an item: its record without ChangeKey and read flag."""
    record = to_record(item)
    record.pop("change_key", None)
    record.pop("is_read", None)
    return hashlib.sha1(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]


def _encode(kind: str, scope: str, mailbox: str, seen: dict) -> str:
    data = json.dumps({"k": kind, "f": scope, "m": mailbox.lower(), "s": seen}, separators=(",", ":"))
    return base64.b64encode(zlib.compress(data.encode(), 9)).decode("ascii")


def _decode(token: str | None, kind: str, scope: str, mailbox: str) -> dict:
    if not token:
        return {}
    try:
        data = json.loads(zlib.decompress(base64.b64decode(token, validate=True)))
    except (binascii.Error, ValueError, zlib.error):
        raise RuleError(E.INVALID_SYNC_STATE, "The sync state is not valid.") from None
    if not isinstance(data, dict) or data.get("k") != kind or data.get("f") != scope or \
            data.get("m") != mailbox.lower() or not isinstance(data.get("s"), dict):
        raise RuleError(E.INVALID_SYNC_STATE, "The sync state does not belong to this folder.")
    return data["s"]


class SyncRules:
    def __init__(self, store: Store, folders: FolderRules) -> None:
        self.store = store
        self.folders = folders

    def items(self, actor: str, folder: str, state: str | None, max_changes: int,
              ignore: frozenset[str] = frozenset()) -> tuple[list[Change], str, bool]:
        """(changes, new sync state, whether they are all) of a folder's items."""
        seen = _decode(state, "items", folder, actor)
        with self.store.transaction(write=False) as tx:
            self.folders.within(tx, actor, folder)
            current, _ = tx.list_folder(actor, folder)
        current.reverse()  # oldest first, as changes happened
        now = {i.id: i for i in current}
        pending: list[Change] = []
        for item in current:
            digest, entry = content_digest(item), seen.get(item.id)
            if entry is None:
                pending.append(Change(CREATE, item.id, item))
            elif entry[0] != digest:
                pending.append(Change(UPDATE, item.id, item))
            elif bool(entry[1]) != item.is_read:
                pending.append(Change(READ_FLAG, item.id, item, is_read=item.is_read))
        pending += [Change(DELETE, item_id) for item_id in seen if item_id not in now]
        out: list[Change] = []
        for change in pending:
            if change.key in ignore:  # not reported, and not reported later either
                _apply(seen, change)
                continue
            if len(out) >= max_changes:
                break
            _apply(seen, change)
            out.append(change)
        everything = len(out) + sum(1 for c in pending if c.key in ignore) >= len(pending)
        return out, _encode("items", folder, actor, seen), everything

    def hierarchy(self, actor: str, folder: str, state: str | None) -> tuple[list[Change], str]:
        """(changes, new sync state) of the folders below ``folder``."""
        seen = _decode(state, "folders", folder, actor)
        below = self.folders.below(actor, folder, deep=True)
        out: list[Change] = []
        now = {}
        for f in below:
            sig = [f.name, f.folder_class, f.parent, f.change_key]
            now[f.key] = sig
            if f.key not in seen:
                out.append(Change(CREATE, f.key, folder=f))
            elif seen[f.key] != sig:
                out.append(Change(UPDATE, f.key, folder=f))
        out += [Change(DELETE, key) for key in seen if key not in now]
        return out, _encode("folders", folder, actor, now)


def _apply(seen: dict, change: Change) -> None:
    if change.kind == DELETE:
        seen.pop(change.key, None)
    else:
        assert change.item is not None
        seen[change.key] = [content_digest(change.item), change.item.is_read]
