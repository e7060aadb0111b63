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
                  watermark: str | None, kind: str = "pull", url: str | None = None) -> tuple[str, str]:
        """(subscription id, watermark); ``folders`` None is every folder of the mailbox.

        ``kind`` is pull, push or streaming. A streaming or push subscription keeps its
        own watermark (the server hands out its events); ``timeout_minutes`` is then how
        long a streaming subscription lives without a connection (Exchange: 30), or a push
        subscription's status frequency.
        """
        if folders is not None:
            for key in folders:
                self.folders.get(actor, key)
        if watermark:
            _decode(watermark)  # a bad one is refused up front
        mark = watermark or _encode(self._snapshot(actor, folders))
        sub_id = base64.b64encode(b"\x04EP" + os.urandom(24)).decode("ascii")
        record = {"folders": folders, "types": event_types, "timeout": timeout_minutes, "kind": kind,
                  "expires": format_utc(self.now() + timedelta(minutes=timeout_minutes))}
        if kind != "pull":
            record["mark"] = mark
        if url is not None:
            record["url"] = url
        with self.store.transaction() as tx:
            tx.put_setting(actor, "subscription/" + sub_id, record)
        return sub_id, mark

    def unsubscribe(self, actor: str, sub_id: str) -> None:
        with self.store.transaction() as tx:
            record = tx.get_setting(actor, "subscription/" + sub_id)
            if not isinstance(record, dict):
                raise RuleError(E.SUBSCRIPTION_NOT_FOUND, "The subscription was not found.")
            if record.get("kind") == "push":
                raise RuleError(E.INVALID_SUBSCRIPTION, "A push subscription is ended by answering one of its "
                                "notifications with SubscriptionStatus Unsubscribe, not by Unsubscribe.")
            tx.put_setting(actor, "subscription/" + sub_id, None)

    def end(self, actor: str, sub_id: str) -> None:
        """Drop a subscription whatever its kind (a push client answered Unsubscribe)."""
        with self.store.transaction() as tx:
            tx.put_setting(actor, "subscription/" + sub_id, None)

    def held(self, actor: str, sub_id: str, kind: str) -> bool:
        """Whether ``sub_id`` is a live subscription of ``kind`` of this mailbox."""
        with self.store.transaction(write=False) as tx:
            record = tx.get_setting(actor, "subscription/" + sub_id)
        return (isinstance(record, dict) and record.get("kind", "pull") == kind
                and datetime.fromisoformat(record["expires"]) >= self.now())

    def take(self, actor: str, sub_id: str) -> tuple[list[Event], str]:
        """A streaming or push subscription's events since the server last handed them out
        (none: an empty list), and its watermark after them. Keeps the subscription alive."""
        with self.store.transaction(write=False) as tx:
            record = tx.get_setting(actor, "subscription/" + sub_id)
        if not isinstance(record, dict) or record.get("kind", "pull") == "pull":
            raise RuleError(E.INVALID_SUBSCRIPTION, "Subscription is invalid.")
        events, mark = self._since(actor, record, record["mark"])
        renew = datetime.fromisoformat(record["expires"]) - self.now() < timedelta(minutes=int(record["timeout"]) / 2)
        if mark == record["mark"] and not renew:
            return [], mark
        with self.store.transaction() as tx:
            current = tx.get_setting(actor, "subscription/" + sub_id)
            if not isinstance(current, dict):  # unsubscribed meanwhile
                raise RuleError(E.INVALID_SUBSCRIPTION, "Subscription is invalid.")
            current["mark"] = mark
            current["expires"] = format_utc(self.now() + timedelta(minutes=int(current["timeout"])))
            tx.put_setting(actor, "subscription/" + sub_id, current)
        return [e for e in events if e.kind != "StatusEvent"], mark

    def events(self, actor: str, sub_id: str, watermark: str) -> tuple[list[Event], str]:
        """The events since ``watermark`` and the watermark after them."""
        with self.store.transaction() as tx:
            record = tx.get_setting(actor, "subscription/" + sub_id)
            if not isinstance(record, dict) or datetime.fromisoformat(record["expires"]) < self.now():
                raise RuleError(E.SUBSCRIPTION_NOT_FOUND, "The subscription was not found or has expired.")
            record["expires"] = format_utc(self.now() + timedelta(minutes=int(record["timeout"])))
            tx.put_setting(actor, "subscription/" + sub_id, record)
        if record.get("kind", "pull") != "pull":
            raise RuleError(E.INVALID_PULL_SUBSCRIPTION, "The subscription is not a pull subscription.")
        return self._since(actor, record, watermark)

    def _since(self, actor: str, record: dict, watermark: str) -> tuple[list[Event], str]:
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
        return (out or [Event("StatusEvent")]), (_encode(now) if now != before else watermark)

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
