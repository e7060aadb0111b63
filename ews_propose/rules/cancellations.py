"""The attendee's side of a cancelled meeting: RemoveItem takes it off the calendar.

An attendee who received a MeetingCancellation (or whose calendar item was cancelled)
removes the meeting: the cancelled calendar item is deleted and the cancellation notice
goes to Deleted Items and is named in the answer (project decisions; Exchange's
documentation says only that the meeting leaves the calendar). A cancellation of one
occurrence took that occurrence out of the attendee's series when it arrived, so
removing it leaves the series as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import errors as E
from . import ids
from .errors import RuleError
from .model import CALENDAR_ITEM, DELETED, MEETING_CANCELLATION, Item

if TYPE_CHECKING:
    from ..store.base import Transaction
    from .engine import MeetingRules


def remove_from_calendar(rules: MeetingRules, tx: Transaction, actor: str, item_id: str) -> Item | None:
    """Take the cancelled meeting off ``actor``'s calendar; the notice moved to Deleted
    Items is returned (None when ``item_id`` named the cancelled calendar item itself)."""
    from .engine import _copies

    item = rules._owned(tx, actor, item_id)
    if not _removable(item, actor):
        raise RuleError(E.NOT_A_MEETING, "Only a meeting cancellation received, or a cancelled meeting on the "
                        "calendar, can be removed from the calendar.", response="remove")
    for calendar_item in _copies(tx, actor, item, (CALENDAR_ITEM,)):  # same UID and organizer
        if calendar_item.is_cancelled and not calendar_item.is_organized_by(actor):
            tx.delete(calendar_item.id)
    if item.kind != MEETING_CANCELLATION:
        return None
    if item.folder != DELETED:
        item.folder = DELETED
        item.change_key = ids.new_change_key()
        tx.put(item)
    return item


def _removable(item: Item, actor: str) -> bool:
    if item.is_organized_by(actor) or item.master_id:
        return False  # the organizer's own copy; an occurrence is not a cancellation
    return item.kind == MEETING_CANCELLATION or (item.kind == CALENDAR_ITEM and item.is_cancelled)
