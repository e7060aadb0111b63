"""Mailbox workflows around the meeting rules: generic items, moving and copying items
between folders, sending a saved draft, and composing replies and forwards.

Plain Python over the store; each public method is one store transaction.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ..directory import Directory
from ..store.base import Store, Transaction
from . import clock, ids
from . import errors as E
from .errors import RuleError
from .folders import FolderRules
from .model import (
    DRAFTS,
    GENERIC,
    INBOX,
    KINDS,
    MESSAGE,
    SENT,
    Item,
    Person,
    from_record,
    to_record,
)

GENERIC_ITEM_CLASS = "IPM.Item"
REPLY = "reply"
REPLY_ALL = "reply_all"
FORWARD = "forward"
_PREFIX = {REPLY: "RE: ", REPLY_ALL: "RE: ", FORWARD: "FW: "}


@dataclass
class Response:
    """A reply, reply-all or forward as the client asks for it; what it leaves out comes
    from the item it answers."""

    kind: str  # reply | reply_all | forward
    reference_id: str
    subject: str | None = None
    body: str | None = None
    body_type: str = "Text"
    to: list[Person] | None = None
    cc: list[Person] = field(default_factory=list)
    bcc: list[Person] = field(default_factory=list)


OOF_ENABLED, OOF_SCHEDULED, OOF_DISABLED = "enabled", "scheduled", "disabled"
AUDIENCES = ("none", "known", "all")


@dataclass
class OutOfOffice:
    """A mailbox's automatic replies."""

    state: str = OOF_DISABLED
    audience: str = "all"
    start: datetime | None = None
    end: datetime | None = None
    internal_reply: str = ""
    external_reply: str = ""


class MailboxRules:
    def __init__(self, store: Store, directory: Directory, folders: FolderRules,
                 now: Callable[[], datetime] = clock.now) -> None:
        self.store = store
        self.directory = directory
        self.folders = folders
        self.now = now

    def create_generic(self, actor: str, subject: str, body: str, body_type: str, folder: str,
                       **fields: object) -> Item:
        """A t:Item: kept with its common fields in ``folder``."""
        now = self.now()
        item = Item(id=ids.new_item_id(), mailbox=actor, folder=folder, kind=GENERIC, change_key=ids.new_change_key(),
                    item_class=GENERIC_ITEM_CLASS, subject=subject, body=body, body_type=body_type, created=now,
                    received=now, is_read=True, **fields)  # type: ignore[arg-type]
        with self.store.transaction() as tx:
            self.folders.within(tx, actor, folder)
            tx.put(item)
        return item

    def move(self, actor: str, item_ids: Iterable[str], to_folder: str) -> list[Item | RuleError]:
        """Each item moved to ``to_folder`` (same id, new change key), or that id's error."""
        return self._each(actor, item_ids, to_folder, copy=False)

    def copy(self, actor: str, item_ids: Iterable[str], to_folder: str) -> list[Item | RuleError]:
        """A copy of each item in ``to_folder``, under a new id."""
        return self._each(actor, item_ids, to_folder, copy=True)

    def _each(self, actor: str, item_ids: Iterable[str], to_folder: str, copy: bool) -> list[Item | RuleError]:
        out: list[Item | RuleError] = []
        with self.store.transaction() as tx:
            self.folders.within(tx, actor, to_folder)
            for item_id in item_ids:
                try:
                    item = owned_item(tx, actor, item_id)
                except RuleError as exc:
                    out.append(exc)
                    continue
                if copy:
                    item = item.copy(id=ids.new_item_id())
                item.folder = to_folder
                item.change_key = ids.new_change_key()
                tx.put(item)
                out.append(item)
        return out

    def send_draft(self, actor: str, item_id: str, save_to: str | None) -> None:
        """Send a saved message: one copy to each hosted recipient; the draft itself goes
        to ``save_to`` (usually Sent Items) as sent, or away when None."""
        with self.store.transaction() as tx:
            draft = owned_item(tx, actor, item_id)
            if draft.kind != MESSAGE:
                raise RuleError(E.NOT_SENDABLE, "Only messages can be sent with SendItem.")
            if save_to is not None:
                self.folders.within(tx, actor, save_to)
            if not (draft.to or draft.cc or draft.bcc):
                raise RuleError(E.NO_RECIPIENTS, "The message has no recipients.")
            now = self.now()
            seen: set[str] = set()
            for person in [*draft.to, *draft.cc, *draft.bcc]:
                mailbox = self.directory.get(person.smtp)
                if mailbox is None or mailbox.smtp.lower() in seen:
                    continue
                seen.add(mailbox.smtp.lower())
                tx.put(draft.copy(id=ids.new_item_id(), mailbox=mailbox.smtp, folder=INBOX,
                                  change_key=ids.new_change_key(), bcc=[], categories=[], is_read=False,
                                  is_draft=False, received=now))
            if save_to is None:
                tx.delete(draft.id)
                return
            draft.folder, draft.is_draft, draft.received, draft.is_read = save_to, False, now, True
            draft.change_key = ids.new_change_key()
            tx.put(draft)

    def compose(self, actor: str, response: Response) -> tuple[str, str, str, list[Person], list[Person],
                                                               list[Person]]:
        """(subject, body, body type, to, cc, bcc) of a reply / reply-all / forward."""
        with self.store.transaction(write=False) as tx:
            original = owned_item(tx, actor, response.reference_id)
        if original.is_draft:
            raise RuleError(E.NOT_SENDABLE, "A draft cannot be replied to or forwarded.")
        subject = response.subject if response.subject is not None else _PREFIX[response.kind] + original.subject
        body = response.body or ""
        if original.body:
            sender = original.sender.name if original.sender else ""
            body += ("\n\n" if body else "") + f"-----Original Message-----\nFrom: {sender}\n{original.body}"
        to = response.to
        if to is None:
            to = []
            if response.kind in (REPLY, REPLY_ALL) and original.sender is not None:
                to = [original.sender]
            if response.kind == REPLY_ALL:
                to += [p for p in original.to if p.smtp.lower() != actor.lower()]
        cc = list(response.cc)
        if response.kind == REPLY_ALL and not response.cc:
            cc = [p for p in original.cc if p.smtp.lower() != actor.lower()]
        if response.kind == FORWARD and not (to or cc or response.bcc):
            raise RuleError(E.NO_RECIPIENTS, "A forward needs recipients.")
        return subject, body, response.body_type, to, cc, list(response.bcc)


    # --- export and upload ------------------------------------------------------

    def export(self, actor: str, item_ids: Iterable[str]) -> list[str | RuleError]:
        """Each item as an opaque blob UploadItems takes back (this server's own format)."""
        out: list[str | RuleError] = []
        with self.store.transaction(write=False) as tx:
            for item_id in item_ids:
                try:
                    item = owned_item(tx, actor, item_id)
                except RuleError as exc:
                    out.append(exc)
                    continue
                record = to_record(item)
                for key in ("id", "mailbox", "folder", "change_key"):
                    record.pop(key, None)
                blob = zlib.compress(json.dumps(record, separators=(",", ":")).encode(), 9)
                out.append(base64.b64encode(_EXPORT_MAGIC + blob).decode("ascii"))
        return out

    def upload(self, actor: str, entries: Iterable[tuple[str, str, str | None, str]]) -> list[Item | RuleError]:
        """(folder, action, item id, data) each: CreateNew makes a new item, Update replaces
        the item named, UpdateOrCreate does whichever applies."""
        out: list[Item | RuleError] = []
        with self.store.transaction() as tx:
            for folder, action, item_id, data in entries:
                try:
                    self.folders.within(tx, actor, folder)
                    record = _imported(data)
                    target = None
                    if action in ("Update", "UpdateOrCreate") and item_id:
                        try:
                            target = owned_item(tx, actor, item_id)
                        except RuleError:
                            if action == "Update":
                                raise
                    elif action == "Update":
                        raise RuleError(E.ITEM_NOT_FOUND, "Update needs the id of the item to replace.")
                    record.update(id=target.id if target else ids.new_item_id(), mailbox=actor, folder=folder,
                                  change_key=ids.new_change_key())
                    item = from_record(record)
                except RuleError as exc:
                    out.append(exc)
                    continue
                tx.put(item)
                out.append(item)
        return out

    # --- out of office ----------------------------------------------------------

    def out_of_office(self, actor: str) -> OutOfOffice:
        with self.store.transaction(write=False) as tx:
            data = tx.get_setting(actor, "oof")
        if not isinstance(data, dict):
            return OutOfOffice()
        return OutOfOffice(data["state"], data["audience"],
                           datetime.fromisoformat(data["start"]) if data.get("start") else None,
                           datetime.fromisoformat(data["end"]) if data.get("end") else None,
                           data.get("internal_reply", ""), data.get("external_reply", ""))

    def set_out_of_office(self, actor: str, oof: OutOfOffice) -> None:
        if oof.state == OOF_SCHEDULED:
            if oof.start is None or oof.end is None:
                raise RuleError(E.INVALID_FIELD_VALUE, "Scheduled automatic replies need a start and an end.")
            if oof.end <= oof.start:
                raise RuleError(E.END_BEFORE_START, "The end time must be after the start time.")
        with self.store.transaction() as tx:
            old = tx.get_setting(actor, "oof") or {}
            start = oof.start.isoformat() if oof.start else old.get("start")  # a duration left out is kept
            end = oof.end.isoformat() if oof.end else old.get("end")
            tx.put_setting(actor, "oof", {"state": oof.state, "audience": oof.audience, "start": start, "end": end,
                                          "internal_reply": oof.internal_reply,
                                          "external_reply": oof.external_reply})


_EXPORT_MAGIC = b"EPX1"


def _imported(data: str) -> dict:
    try:
        raw = base64.b64decode(data, validate=True)
        if not raw.startswith(_EXPORT_MAGIC):
            raise ValueError("not an export of this server")
        record = json.loads(zlib.decompress(raw[len(_EXPORT_MAGIC):]))
        if not isinstance(record, dict) or record.get("kind") not in KINDS:
            raise ValueError("not an item")
    except (binascii.Error, ValueError, zlib.error):
        raise RuleError(E.INVALID_EXPORT, "The data is not an item exported by this server.") from None
    return record


def owned_item(tx: Transaction, actor: str, item_id: str, missing: str = E.ITEM_NOT_FOUND,
               check_format: bool = True) -> Item:
    """``actor``'s item ``item_id``. Another mailbox's item gets the same answer as a
    missing one (``missing``); an id this server never makes is ErrorInvalidIdMalformed
    (unless ``check_format`` is off: attachment calls answer ``missing`` for it too)."""
    if check_format and not ids.is_item_id(item_id):
        raise RuleError(E.ID_MALFORMED, "Id is malformed.")
    item = tx.get(item_id)
    if item is None or item.mailbox.lower() != actor.lower():
        raise RuleError(missing, "The specified object was not found in the store.")
    return item


__all__ = ["MailboxRules", "Response", "DRAFTS", "SENT", "owned_item"]
