"""Pull notifications (Subscribe / GetEvents / Unsubscribe): what happened to the items
of the subscribed folders since the client's watermark.

A subscription (its folders, event types and timeout) is kept per mailbox in the store.
A watermark is a self-contained token: the compressed snapshot of the subscribed
items at that point (folder, content digest, read flag). GetEvents compares the store
with it: new items are Created (and NewMail in the Inbox), changed ones Modified, ones
gone from a folder Moved when they are elsewhere in the mailbox, else Deleted.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..store.base import Store
from . import clock
from . import errors as E
from .errors import RuleError
from .folders import FolderRules
from .model import INBOX, MEETING_MESSAGES, MESSAGE, format_utc
from .sync import content_digest

EVENT_TYPES = ("CopiedEvent", "CreatedEvent", "DeletedEvent", "ModifiedEvent", "MovedEvent", "NewMailEvent",
               "FreeBusyChangedEvent")


@dataclass
class Event:
    kind: str  # CreatedEvent | ModifiedEvent | DeletedEvent | MovedEvent | NewMailEvent | StatusEvent
    item_id: str | None = None
    folder: str | None = None
    old_folder: str | None = None


class NotificationRules:
    def __init__(self, store: Store, folders: FolderRules, now: Callable[[], datetime] = clock.now) -> None:
        self.store = store
        self.folders = folders
        self.now = now

    def subscribe(self, actor: str, folders: list[str] | None, event_types: list[str], timeout_minutes: int,
                  watermark: str | None) -> tuple[str, str]:
        """(subscription id, watermark); ``folders`` None is every folder of the mailbox."""
        if folders is not None:
            for key in folders:
                self.folders.get(actor, key)
        sub_id = base64.b64encode(b"\x04EP" + os.urandom(24)).decode("ascii")
        record = {"folders": folders, "types": event_types, "timeout": timeout_minutes,
                  "expires": format_utc(self.now() + timedelta(minutes=timeout_minutes))}
        if watermark:
            _decode(watermark)  # a bad one is refused up front
        with self.store.transaction() as tx:
            tx.put_setting(actor, "subscription/" + sub_id, record)
        return sub_id, watermark or _encode(self._snapshot(actor, folders))

    def unsubscribe(self, actor: str, sub_id: str) -> None:
        with self.store.transaction() as tx:
            if not isinstance(tx.get_setting(actor, "subscription/" + sub_id), dict):
                raise RuleError(E.SUBSCRIPTION_NOT_FOUND, "The subscription was not found.")
            tx.put_setting(actor, "subscription/" + sub_id, None)

    def events(self, actor: str, sub_id: str, watermark: str) -> tuple[list[Event], str]:
        """The events since ``watermark`` and the watermark after them."""
        with self.store.transaction() as tx:
            record = tx.get_setting(actor, "subscription/" + sub_id)
            if not isinstance(record, dict) or datetime.fromisoformat(record["expires"]) < self.now():
                raise RuleError(E.SUBSCRIPTION_NOT_FOUND, "The subscription was not found or has expired.")
            record["expires"] = format_utc(self.now() + timedelta(minutes=int(record["timeout"])))
            tx.put_setting(actor, "subscription/" + sub_id, record)
        before = _decode(watermark)
        folders, types = record["folders"], set(record["types"])
        now = self._snapshot(actor, folders)
        out: list[Event] = []
        for item_id, (folder, digest, read, kind) in now.items():
            old = before.get(item_id)
            if old is None:
                out.append(Event("CreatedEvent", item_id, folder))
                if folder == INBOX and kind in (MESSAGE, *MEETING_MESSAGES):
                    out.append(Event("NewMailEvent", item_id, folder))
            elif old[0] != folder:
                out.append(Event("MovedEvent", item_id, folder, old[0]))
            elif old[1] != digest or old[2] != read:
                out.append(Event("ModifiedEvent", item_id, folder))
        gone = [i for i in before if i not in now]
        if gone:
            with self.store.transaction(write=False) as tx:
                for item_id in gone:
                    item = tx.get(item_id)
                    if item is not None and item.mailbox.lower() == actor.lower():
                        out.append(Event("MovedEvent", item_id, item.folder, before[item_id][0]))
                    else:
                        out.append(Event("DeletedEvent", item_id, before[item_id][0]))
        out = [e for e in out if e.kind in types]
        return (out or [Event("StatusEvent")]), _encode(now)

    def _snapshot(self, actor: str, folders: list[str] | None) -> dict[str, list]:
        keys = folders if folders is not None else [f.key for f in self.folders.tree(actor)]
        snap: dict[str, list] = {}
        with self.store.transaction(write=False) as tx:
            for key in keys:
                items, _ = tx.list_folder(actor, key)
                for item in reversed(items):
                    snap[item.id] = [key, content_digest(item), item.is_read, item.kind]
        return snap


def _encode(snapshot: dict) -> str:
    data = json.dumps(snapshot, separators=(",", ":")).encode()
    return base64.b64encode(zlib.compress(data, 9)).decode("ascii")


def _decode(token: str) -> dict:
    try:
        data = json.loads(zlib.decompress(base64.b64decode(token, validate=True)))
    except (binascii.Error, ValueError, zlib.error):
        raise RuleError(E.INVALID_WATERMARK, "The watermark is not valid.") from None
    if not isinstance(data, dict):
        raise RuleError(E.INVALID_WATERMARK, "The watermark is not valid.")
    return data
