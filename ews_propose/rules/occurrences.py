"""Occurrences of recurring series: their ids, how one is read from its master, and the
calendar views and free/busy that show them.

An occurrence is never stored. Its id carries its master's id and its 1-based index in
the series, so any surface can hand it back where an item id goes (EWS ItemId,
OccurrenceItemId, RecurringMasterItemId). A modified occurrence (an exception) is kept
on the master as ``{"original_start": UTC text, "fields": {name: value}}``; a deleted
one as its original start in ``deleted_occurrences``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import datetime, timedelta

from . import errors as E
from . import recurrence as rec
from .errors import RuleError
from .model import (
    CALENDAR_ITEM,
    EXCEPTION,
    OCCURRENCE,
    RECURRING_MASTER,
    Item,
    format_utc,
    parse_utc,
)
from .zones import item_zone

_OCCURRENCE_TAG = b"\x03EP"
_MASTER_RAW = 27  # an item id's raw length (rules/ids.py)
_DATETIME_FIELDS = ("start", "end", "proposed_start", "proposed_end")


def occurrence_id(master_id: str, index: int) -> str:
    raw = base64.b64decode(master_id)
    return base64.b64encode(_OCCURRENCE_TAG + raw[3:] + index.to_bytes(4, "big")).decode("ascii")


def parse_occurrence_id(token: str) -> tuple[str, int] | None:
    """(master id, index) of an occurrence id, or None when ``token`` is not one."""
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _MASTER_RAW + 4 or not raw.startswith(_OCCURRENCE_TAG):
        return None
    master = base64.b64encode(b"\x01EP" + raw[3:_MASTER_RAW]).decode("ascii")
    return master, int.from_bytes(raw[_MASTER_RAW:], "big")


def is_master(item: Item) -> bool:
    return item.kind == CALENDAR_ITEM and bool(item.recurrence) and not item.master_id


def pattern(master: Item) -> rec.Pattern:
    p = rec.pattern_of(master.recurrence)
    assert p is not None
    return p


def _series(master: Item) -> tuple[rec.Pattern, datetime, timedelta, object]:
    assert master.start is not None and master.end is not None
    return pattern(master), master.start, master.end - master.start, item_zone(master.time_zone)


def place_series(item: Item) -> None:
    """A master's Start/End become its first occurrence's (as Exchange stores them);
    ErrorCalendarInvalidRecurrence when the pattern has no occurrence at all."""
    p = rec.Pattern.from_dict(item.recurrence or {})
    p.check()
    if item.start is None or item.end is None:
        return
    first = rec.first_slot(p, item.start, item.end - item.start, item_zone(item.time_zone))
    if first is None:
        raise RuleError(E.INVALID_RECURRENCE, "The recurrence pattern has no occurrence.")
    item.start, item.end = first.start, first.end
    item.calendar_type = RECURRING_MASTER


def exception_for(master: Item, original_start: datetime) -> dict | None:
    key = format_utc(original_start)
    for entry in master.modified_occurrences:
        if entry["original_start"] == key:
            return entry
    return None


def set_exception(master: Item, original_start: datetime, fields: dict) -> None:
    """Record changed fields of one occurrence (merged with earlier changes)."""
    encoded = {k: (format_utc(v) if isinstance(v, datetime) else v) for k, v in fields.items()}
    entry = exception_for(master, original_start)
    if entry is None:
        master.modified_occurrences.append({"original_start": format_utc(original_start), "fields": encoded})
    else:
        entry["fields"].update(encoded)
    master.modified_occurrences.sort(key=lambda e: e["original_start"])


def record_answer(master: Item, original_start: datetime, smtp: str, response: str, when: datetime,
                  proposed_start: datetime | None, proposed_end: datetime | None) -> None:
    """The organizer's record of one attendee's answer to one occurrence (the attendee
    list of that occurrence shows it; the series' list does not change)."""
    key, who = format_utc(original_start), smtp.lower()
    master.occurrence_answers = [a for a in master.occurrence_answers
                                 if (a["original_start"], a["smtp"]) != (key, who)]
    master.occurrence_answers.append({
        "original_start": key, "smtp": who, "response": response, "last_response_time": format_utc(when),
        "proposed_start": format_utc(proposed_start) if proposed_start else None,
        "proposed_end": format_utc(proposed_end) if proposed_end else None})


def clear_answers(master: Item, original_start: datetime | None = None) -> None:
    """Forget the answers to one occurrence (it moved), or to all (the pattern changed)."""
    key = format_utc(original_start) if original_start is not None else None
    master.occurrence_answers = [a for a in master.occurrence_answers
                                 if key is not None and a["original_start"] != key]


def _apply_answers(master: Item, occ: Item, key: str) -> None:
    for answer in master.occurrence_answers:
        if answer["original_start"] != key:
            continue
        entry = occ.attendee(answer["smtp"])
        if entry is None:
            continue
        entry.response = answer["response"]
        entry.last_response_time = parse_utc(answer["last_response_time"])
        entry.proposed_start = parse_utc(answer["proposed_start"]) if answer["proposed_start"] else None
        entry.proposed_end = parse_utc(answer["proposed_end"]) if answer["proposed_end"] else None


def delete_occurrence(master: Item, original_start: datetime) -> None:
    key = format_utc(original_start)
    master.modified_occurrences = [e for e in master.modified_occurrences if e["original_start"] != key]
    if key not in master.deleted_occurrences:
        master.deleted_occurrences.append(key)
        master.deleted_occurrences.sort()


def materialize(master: Item, slot: rec.Slot) -> Item:
    """The occurrence at ``slot`` as an item of its own (an exception's changes applied)."""
    occ = master.copy(
        id=occurrence_id(master.id, slot.index), start=slot.start, end=slot.end, recurrence=None,
        modified_occurrences=[], deleted_occurrences=[], occurrence_answers=[], calendar_type=OCCURRENCE,
        recurrence_id=slot.start, master_id=master.id, instance_index=slot.index,
    )
    _apply_answers(master, occ, format_utc(slot.start))
    entry = exception_for(master, slot.start)
    if entry is not None:
        occ.calendar_type = EXCEPTION
        for name, value in entry["fields"].items():
            if name == "attendees":
                continue
            setattr(occ, name, parse_utc(value) if name in _DATETIME_FIELDS and isinstance(value, str) else value)
    return occ


def _is_deleted(master: Item, slot: rec.Slot) -> bool:
    return format_utc(slot.start) in master.deleted_occurrences


def occurrence(master: Item, index: int) -> Item:
    """The ``index``-th occurrence; ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange or
    ...IsDeletedFromRecurrence when there is none."""
    if not is_master(master):
        raise RuleError(E.NOT_RECURRING, "The item is not a recurring series.")
    slot = rec.slot_at(*_series(master), index)  # type: ignore[arg-type]
    if slot is None:
        raise RuleError(E.OCCURRENCE_OUT_OF_RANGE, "The occurrence index is out of the recurrence range.")
    if _is_deleted(master, slot):
        raise RuleError(E.OCCURRENCE_DELETED, "The occurrence was deleted from the recurrence.")
    return materialize(master, slot)


def occurrence_at(master: Item, original_start: datetime) -> Item | None:
    slot = rec.slot_starting(*_series(master), original_start)  # type: ignore[arg-type]
    if slot is None or _is_deleted(master, slot):
        return None
    return materialize(master, slot)


def between(master: Item, start: datetime, end: datetime) -> list[Item]:
    """The master's occurrences and exceptions overlapping [start, end). Bounded: a NoEnd
    series is walked only up to the view's end (an exception moved into the view from
    further on is found among the exceptions)."""
    p, first, duration, zone = _series(master)
    out: list[Item] = []
    moved = {e["original_start"] for e in master.modified_occurrences}
    # Walk as far as the view needs, or as far as an exception's original slot lies.
    horizon = end
    if master.modified_occurrences:
        horizon = max(end, max(parse_utc(e["original_start"]) for e in master.modified_occurrences)
                      + timedelta(seconds=1))
    for slot in rec.slots(p, first, duration, zone, until=horizon):  # type: ignore[arg-type]
        if _is_deleted(master, slot):
            continue
        key = format_utc(slot.start)
        if key in moved:
            occ = materialize(master, slot)
        elif slot.start < end and slot.end > start:
            occ = materialize(master, slot)
        else:
            continue
        if occ.start is not None and occ.end is not None and occ.start < end and occ.end > start:
            out.append(occ)
    return out


def first_and_last(master: Item) -> tuple[Item | None, Item | None]:
    """FirstOccurrence and LastOccurrence (None for a NoEnd series' last)."""
    p, first, duration, zone = _series(master)
    slots = [s for s in (rec.first_slot(p, first, duration, zone), rec.last_slot(p, first, duration, zone))]  # type: ignore[arg-type]
    return tuple(materialize(master, s) if s is not None else None for s in slots)  # type: ignore[return-value]


def expand(items: Iterable[Item], masters: Iterable[Item], start: datetime, end: datetime) -> list[Item]:
    """A calendar view: single items as they are, each series as its occurrences."""
    out = [i for i in items if not is_master(i)]
    for master in masters:
        out.extend(between(master, start, end))
    out.sort(key=lambda i: (i.start, i.end))
    return out


def calendar_view(tx, mailbox: str, folder: str, start: datetime, end: datetime,
                  ending_at_start: bool = False) -> list[Item]:
    """Items and occurrences overlapping [start, end). ``ending_at_start``: also those
    ending exactly at ``start``, as Exchange's CalendarView returns them."""
    if not ending_at_start:
        return expand(tx.calendar_view(mailbox, folder, start, end), tx.recurring_masters(mailbox, folder),
                      start, end)
    edge = start - timedelta(seconds=1)
    found = expand(tx.calendar_view(mailbox, folder, edge, end), tx.recurring_masters(mailbox, folder), edge, end)
    return [i for i in found if i.end is not None and i.end >= start]
