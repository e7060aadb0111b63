"""Mailbox items as the meeting rules see them.

One ``Item`` record covers every kind (calendar item, message, meeting request,
response, cancellation): the kinds share most fields, and a meeting is tracked across
mailboxes by its ``uid``. Field names are plain words; the wire layer maps them to
EWS names (``associated_item_id`` -> AssociatedCalendarItemId, ...).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

# Item kinds
CALENDAR_ITEM = "calendar_item"
MESSAGE = "message"
MEETING_REQUEST = "meeting_request"
MEETING_RESPONSE = "meeting_response"
MEETING_CANCELLATION = "meeting_cancellation"
GENERIC = "item"  # an item of no particular kind (EWS t:Item): its common fields only
KINDS = (CALENDAR_ITEM, MESSAGE, MEETING_REQUEST, MEETING_RESPONSE, MEETING_CANCELLATION, GENERIC)
MEETING_MESSAGES = (MEETING_REQUEST, MEETING_RESPONSE, MEETING_CANCELLATION)

# Folders every mailbox has
INBOX = "inbox"
CALENDAR = "calendar"
SENT = "sentitems"
DELETED = "deleteditems"
DRAFTS = "drafts"
ROOT = "root"
TOP = "msgfolderroot"
FOLDERS = (ROOT, TOP, INBOX, CALENDAR, SENT, DELETED, DRAFTS)
ITEM_FOLDERS = (INBOX, CALENDAR, SENT, DELETED, DRAFTS)

# Responses, in plain words
ACCEPT = "accept"
TENTATIVE = "tentative"
DECLINE = "decline"
UNKNOWN = "unknown"
ORGANIZER = "organizer"
NO_RESPONSE = "no_response"
REPLY_KINDS = (ACCEPT, TENTATIVE, DECLINE)

# Attendee roles
REQUIRED = "required"
OPTIONAL = "optional"
RESOURCE = "resource"

# Meeting request kinds
NEW_REQUEST = "new"
FULL_UPDATE = "full_update"
INFORMATIONAL_UPDATE = "informational_update"

# Free/busy
FREE = "free"
BUSY = "busy"
OOF = "oof"

# What a reader may do with an item (ResponseObjects on the wire)
ACT_ACCEPT = "accept"
ACT_TENTATIVE = "tentative"
ACT_DECLINE = "decline"
ACT_PROPOSE = "propose_new_time"
ACT_REPLY = "reply"
ACT_REPLY_ALL = "reply_all"
ACT_FORWARD = "forward"
ACT_CANCEL = "cancel"
ACT_REMOVE = "remove"

# Calendar item types (EWS CalendarItemType; "" is Single)
RECURRING_MASTER = "recurring_master"
OCCURRENCE = "occurrence"
EXCEPTION = "exception"


@dataclass
class Person:
    smtp: str
    name: str = ""


@dataclass
class Attendee:
    smtp: str
    name: str = ""
    role: str = REQUIRED
    response: str = UNKNOWN
    last_response_time: datetime | None = None
    proposed_start: datetime | None = None
    proposed_end: datetime | None = None


@dataclass
class Item:
    id: str
    mailbox: str
    folder: str
    kind: str
    change_key: str = ""
    item_class: str = "IPM.Note"
    subject: str = ""
    body: str = ""
    body_type: str = "Text"
    created: datetime | None = None
    received: datetime | None = None
    sender: Person | None = None
    to: list[Person] = field(default_factory=list)
    cc: list[Person] = field(default_factory=list)
    bcc: list[Person] = field(default_factory=list)
    is_read: bool = False
    is_draft: bool = False
    importance: str = "Normal"
    sensitivity: str = "Normal"
    categories: list[str] = field(default_factory=list)
    in_reply_to: str = ""  # InReplyTo, as written
    culture: str = ""  # Culture, as written ("" = the server's, en-US)
    # a message's own header fields, as written: IsReadReceiptRequested, IsDeliveryReceiptRequested,
    # InternetMessageId, IsResponseRequested, References (element name -> wire text)
    message_fields: dict = field(default_factory=dict)
    reply_to: list[Person] = field(default_factory=list)
    # extended (MAPI) properties: {"key", "uri": {attribute: value}, "values": [text], "array": bool}
    extended: list[dict] = field(default_factory=list)
    # attachments: {"aid", "kind": "file"|"item", "name", "content_type", "content_id", "is_inline",
    #               "modified", "content" (base64 text) | "item" (an item record)}
    attachments: list[dict] = field(default_factory=list)
    # calendar fields (calendar items and meeting messages)
    uid: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    location: str = ""
    is_all_day: bool = False
    free_busy: str = BUSY
    organizer: Person | None = None
    attendees: list[Attendee] = field(default_factory=list)
    allow_new_time_proposal: bool = True
    is_meeting: bool = False
    is_cancelled: bool = False
    my_response: str | None = None
    sequence: int = 0
    meeting_request_was_sent: bool = False
    is_response_requested: bool = True
    reminder_minutes: int = 15
    reminder_is_set: bool = True
    time_zone: str = ""  # the zone the organizer's client gave the times in
    # meeting message fields
    associated_item_id: str | None = None
    response: str | None = None
    request_type: str | None = None
    proposed_start: datetime | None = None
    proposed_end: datetime | None = None
    is_out_of_date: bool = False
    has_been_processed: bool = False
    # the zone the end time was given in (EWS EndTimeZone); empty: as time_zone
    end_time_zone: str = ""
    # recurrence (rules/recurrence.py, rules/occurrences.py): a series' master keeps the
    # pattern and its exceptions; occurrences are worked out from it when read
    recurrence: dict | None = None
    modified_occurrences: list[dict] = field(default_factory=list)  # {"original_start", "fields"}
    deleted_occurrences: list[str] = field(default_factory=list)  # original starts, UTC text
    # the organizer's record of answers to one occurrence: {"original_start", "smtp",
    # "response", "last_response_time", "proposed_start", "proposed_end"} (UTC text)
    occurrence_answers: list[dict] = field(default_factory=list)
    calendar_type: str = ""  # "" single | recurring_master | occurrence | exception
    recurrence_id: datetime | None = None  # an occurrence's original start (also on its messages)
    master_id: str | None = None  # an occurrence's series master
    instance_index: int = 0  # an occurrence's 1-based place in its series

    def attendee(self, smtp: str) -> Attendee | None:
        smtp = smtp.lower()
        for a in self.attendees:
            if a.smtp.lower() == smtp:
                return a
        return None

    def is_organized_by(self, smtp: str) -> bool:
        return self.organizer is not None and self.organizer.smtp.lower() == smtp.lower()

    def copy(self, **changes: Any) -> Item:
        """The item as the store would give it back (its record read again), with
        ``changes``: what ``dataclasses.replace`` of that would make, without building
        it a second time through ``__init__`` (ninety keyword arguments)."""
        clone = from_record(to_record(self))
        for name in changes:
            if name not in _ITEM_FIELDS:
                raise TypeError(f"Item has no field '{name}'")
        clone.__dict__.update(changes)
        return clone


# --- records: JSON-ready dicts for the store -------------------------------------------

_DATETIME_FIELDS = {
    "created",
    "received",
    "start",
    "end",
    "proposed_start",
    "proposed_end",
    "last_response_time",
    "recurrence_id",
}


def format_utc(value: datetime) -> str:
    # A UTC time (what the rules hold: parse_utc's, clock.now's) is written once and
    # looked up after: a meeting's few times are written for every copy and row of it.
    if value.tzinfo is UTC:
        return _utc_text(value)
    return _format_utc(value)


def _format_utc(value: datetime) -> str:
    # Four-digit years always: strftime("%Y") writes year 1 as "1-01-01" on Linux, which
    # neither reads back nor sorts with the rest.
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}Z"


# Equal UTC datetimes are the same instant, so the text is the same (naive ones depend
# on the local zone and are never cached).
_utc_text = lru_cache(maxsize=8192)(_format_utc)


@lru_cache(maxsize=8192)
def parse_utc(text: str) -> datetime:
    if text.index("-") < 4:  # "1-01-01T...": a year written unpadded by an older version
        year, _, rest = text.partition("-")
        text = f"{int(year):04d}-{rest}"
    return datetime.fromisoformat(text)  # "...Z" is UTC; 3.11 reads it natively


# The times EWS allows (.NET's DateTime.MinValue and MaxValue, in UTC).
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(microsecond=0, tzinfo=UTC)


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, held within EARLIEST..LATEST instead of overflowing."""
    try:
        return moment + delta
    except OverflowError:
        return EARLIEST if delta < timedelta(0) else LATEST


_MISSING = object()
# Per dataclass of this module: its compiled encoder (_compiled_encoder), made below.
_ENCODERS: dict[type, Any] = {}
# Per dataclass: (field name, default or _MISSING) in field order, worked out once.
_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}
_AS_IS = frozenset({str, int, float, bool, type(None), dict, tuple})


def _fields_of(cls: type) -> tuple[tuple[str, Any], ...]:
    out = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out.append((f.name, f.default))
        elif f.default_factory is not dataclasses.MISSING:
            out.append((f.name, f.default_factory()))
        else:
            out.append((f.name, _MISSING))
    fields = _FIELDS[cls] = tuple(out)
    return fields


def _encode(value: Any) -> Any:
    """JSON-ready form; fields still at their default are left out (smaller rows, faster
    reads: ``from_record`` fills them back in)."""
    cls = value.__class__
    if cls in _AS_IS:
        return value
    if cls is list:
        return [v if v.__class__ in _AS_IS else _encode(v) for v in value]
    if cls is datetime:
        return format_utc(value)
    compiled = _ENCODERS.get(cls)
    if compiled is not None:
        return compiled(value)
    fields = _FIELDS.get(cls)
    if fields is None:
        if isinstance(value, datetime):
            return format_utc(value)
        if isinstance(value, list):
            return [_encode(v) for v in value]
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return value
        fields = _fields_of(cls)
    out = {}
    as_is = _AS_IS
    for name, default in fields:
        v = getattr(value, name)
        if default is _MISSING or default != v:
            # Plain values (most fields) without a call each.
            out[name] = v if v.__class__ in as_is else _encode(v)
    return out


def _compiled_encoder(cls: type) -> Any:
    """``_encode`` for one dataclass as straight-line code, a line per field (what the
    loop above does, without its per-field tuple unpacking and ``getattr``): an item's
    record is made for every row written and every copy."""
    fields = _FIELDS.get(cls) or _fields_of(cls)
    namespace: dict[str, Any] = {"_AS_IS": _AS_IS, "_encode": _encode}
    lines = ["def encode(value):", "    out = {}"]
    for n, (name, default) in enumerate(fields):
        lines.append(f"    v = value.{name}")
        keep = f"out[{name!r}] = v if v.__class__ in _AS_IS else _encode(v)"
        if default is _MISSING:
            lines.append(f"    {keep}")
        else:
            namespace[f"_default{n}"] = default
            lines.append(f"    if _default{n} != v:")
            lines.append(f"        {keep}")
    lines.append("    return out")
    exec("\n".join(lines), namespace)  # noqa: S102 - field names of our own dataclasses
    return namespace["encode"]


def to_record(item: Item) -> dict[str, Any]:
    return _encode(item)


def _attendee(data: dict[str, Any]) -> Attendee:
    attendee = Attendee(**data)
    for key in ("last_response_time", "proposed_start", "proposed_end"):
        value = getattr(attendee, key)
        if value.__class__ is str:
            setattr(attendee, key, parse_utc(value))
    return attendee


def from_record(data: dict[str, Any]) -> Item:
    """The item a record holds. Built without the dataclass's ``__init__`` (about 90
    keyword arguments, most at their defaults: a third of reading an item): the
    defaults, then the record's fields, as ``__init__`` would set them."""
    if _ITEM_FIELDS.issuperset(data):  # a record this version wrote: every key a field
        values = {**_ITEM_PLAIN_DEFAULTS, **data}
    else:
        values = {**_ITEM_PLAIN_DEFAULTS, **{k: v for k, v in data.items() if k in _ITEM_FIELDS}}
    for key in _ITEM_DATETIME_FIELDS:
        value = values[key]
        if value.__class__ is str:
            values[key] = parse_utc(value)
    for key in _ITEM_REQUIRED:
        if key not in values:
            raise TypeError(f"an item record without '{key}'")
    for key, factory in _ITEM_FACTORIES:
        if key not in values:
            values[key] = factory()
    for key in ("sender", "organizer"):
        if values[key] is not None:
            values[key] = Person(**values[key])
    for key in ("to", "cc", "bcc", "reply_to"):
        values[key] = [Person(**p) for p in values[key] or []]
    values["attendees"] = [_attendee(a) for a in values["attendees"] or []]
    item = object.__new__(Item)
    item.__dict__.update(values)
    return item


_ITEM_FIELDS = frozenset(f.name for f in dataclasses.fields(Item))
# the item's own datetime fields (None by default); an attendee's are read by _attendee
_ITEM_DATETIME_FIELDS = tuple(sorted(_ITEM_FIELDS & _DATETIME_FIELDS))
_ITEM_REQUIRED = tuple(f.name for f in dataclasses.fields(Item)
                       if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
_ITEM_PLAIN_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Item) if f.default is not dataclasses.MISSING}
_ITEM_FACTORIES = tuple((f.name, f.default_factory) for f in dataclasses.fields(Item)
                        if f.default_factory is not dataclasses.MISSING)

_ENCODERS.update({cls: _compiled_encoder(cls) for cls in (Item, Person, Attendee)})
