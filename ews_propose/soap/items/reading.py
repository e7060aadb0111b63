"""Items, replies and changes read out of requests: CreateItem's items, AcceptItem /
TentativelyAcceptItem / DeclineItem, UpdateItem's SetItemField / DeleteItemField, and
item id lists."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lxml import etree

from ...rules import model as m
from ...rules.engine import NewItem, Reply
from ...rules.model import Attendee, Person
from .. import calendar_fields, written_fields
from .. import recurrence as wire_recurrence
from ..extended import read_property, read_uri
from ..xml import (
    SchemaViolation,
    T,
    format_datetime,
    localname,
    parse_bool,
    parse_datetime,
    parse_enum,
    parse_int,
)
from .fields import _BOOL_FIELDS, MESSAGE_FIELDS
from .vocabulary import BODY_TYPES, FREE_BUSY_IN, IMPORTANCE, SENSITIVITY


def read_mailbox(el: etree._Element) -> Person:
    address = el.find(T + "EmailAddress")
    if address is None or not (address.text or "").strip():
        raise SchemaViolation("A Mailbox needs an EmailAddress.", el)
    name = el.find(T + "Name")
    return Person(address.text.strip(), (name.text or "").strip() if name is not None else "")


def read_recipients(holder: etree._Element | None) -> list[Person]:
    if holder is None:
        return []
    return [read_mailbox(mb) for mb in holder.findall(T + "Mailbox")]


def read_attendees(holder: etree._Element | None, role: str) -> list[Attendee]:
    if holder is None:
        return []
    out = []
    for att in holder.findall(T + "Attendee"):
        mb = att.find(T + "Mailbox")
        if mb is None:
            raise SchemaViolation("An Attendee needs a Mailbox.", att)
        person = read_mailbox(mb)
        out.append(Attendee(person.smtp, person.name, role))
    return out


def read_body(el: etree._Element) -> tuple[str, str]:
    body_type = parse_enum(el, el.get("BodyType"), BODY_TYPES, "the BodyType attribute")
    return el.text or "", body_type


def read_new_item(el: etree._Element) -> NewItem:
    """A CalendarItem, Message or (generic) Item element of CreateItem."""
    kind = {T + "CalendarItem": m.CALENDAR_ITEM, T + "Item": m.GENERIC}.get(el.tag, m.MESSAGE)
    new = NewItem(kind=kind)
    if kind != m.CALENDAR_ITEM:  # only calendar items have a reminder unless one is given
        new.reminder_is_set, new.reminder_minutes = False, 0
    else:
        calendar_fields.read_zones(new, el)
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = localname(child)
        if name == "MimeContent":
            from ..mime import read_mime
            read_mime(new, child)
        elif name == "Subject":
            new.subject = read_subject(child)
        elif name == "Body":
            new.body, new.body_type = read_body(child)
        elif name == "Sensitivity":
            new.sensitivity = parse_enum(child, child.text, SENSITIVITY, "Sensitivity")
        elif name == "Importance":
            new.importance = parse_enum(child, child.text, IMPORTANCE, "Importance")
        elif name == "Categories":
            new.categories = [s.text or "" for s in child.findall(T + "String")]
        elif name == "ReminderIsSet":
            new.reminder_is_set = parse_bool(child)
        elif name == "ReminderDueBy" and kind != m.CALENDAR_ITEM:
            new.message_fields["ReminderDueBy"] = _message_value(child)
        elif name == "ReminderMinutesBeforeStart":
            new.reminder_minutes = parse_int(child)
        elif name == "IsRead":
            new.is_read = parse_bool(child)
        elif name == "InReplyTo":
            new.in_reply_to = child.text or ""
        elif name in MESSAGE_FIELDS and kind == m.MESSAGE:
            new.message_fields[name] = _message_value(child)
        elif name == "ReplyTo" and kind == m.MESSAGE:
            new.reply_to = read_recipients(child)
        elif name == "Culture":
            new.culture = (child.text or "").strip()
        elif name == "Attachments":
            from ..attachments import read_attachments
            new.attachments = read_attachments(child)
        elif name == "ExtendedProperty":
            prop = read_property(child)
            new.extended = [p for p in new.extended if p["key"] != prop["key"]] + [prop]
        elif name == "ToRecipients":
            new.to = read_recipients(child)
        elif name == "CcRecipients":
            new.cc = read_recipients(child)
        elif name == "BccRecipients":
            new.bcc = read_recipients(child)
        elif kind == m.CALENDAR_ITEM:
            with calendar_fields.zone_for(new, name):
                _read_calendar_field(new, name, child)
    if kind == m.CALENDAR_ITEM:
        if new.start is None or new.end is None:
            missing = "Start" if new.start is None else "End"
            raise SchemaViolation(f"A CalendarItem needs a {missing} time.", el)
    return new


def _read_calendar_field(new: NewItem, name: str, child: etree._Element) -> None:
    if written_fields.read_kept(new, name, child):
        return
    if name == "Start":
        new.start = parse_datetime(child)
    elif name == "End":
        new.end = parse_datetime(child)
    elif name == "Location":
        new.location = child.text or ""
    elif name == "IsAllDayEvent":
        new.is_all_day = parse_bool(child)
    elif name == "LegacyFreeBusyStatus":
        new.free_busy = parse_enum(child, child.text, FREE_BUSY_IN, "LegacyFreeBusyStatus")
    elif name == "UID":
        new.uid = (child.text or "").strip() or None
    elif name == "AllowNewTimeProposal":
        new.allow_new_time_proposal = parse_bool(child)
    elif name == "RequiredAttendees":
        new.attendees += read_attendees(child, m.REQUIRED)
    elif name == "OptionalAttendees":
        new.attendees += read_attendees(child, m.OPTIONAL)
    elif name == "Resources":
        new.attendees += read_attendees(child, m.RESOURCE)
    elif name == "Recurrence":
        new.recurrence = wire_recurrence.read_recurrence(child)


REPLY_ELEMENTS = {"AcceptItem": m.ACCEPT, "TentativelyAcceptItem": m.TENTATIVE, "DeclineItem": m.DECLINE}


def read_reply(el: etree._Element, proposals_open: Callable[[etree._Element], None]) -> tuple[str | None, Reply]:
    """An AcceptItem/TentativelyAcceptItem/DeclineItem: (ReferenceItemId, reply).

    ``proposals_open`` is called with the ProposedStart/End element, and raises when the
    server or requested schema has no proposals.
    """
    reply = Reply(REPLY_ELEMENTS[localname(el)])
    reference = None
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = localname(child)
        if name == "Body":
            reply.body, reply.body_type = read_body(child)
        elif name == "ReferenceItemId":
            reference = child.get("Id")
            if reference is None:
                raise SchemaViolation("The required attribute 'Id' is missing.", child)
        elif name == "ProposedStart":
            proposals_open(child)
            reply.proposed_start = parse_datetime(child)
        elif name == "ProposedEnd":
            proposals_open(child)
            reply.proposed_end = parse_datetime(child)
    return reference, reply


MAX_SUBJECT = 255


def _message_value(el: etree._Element) -> str:
    name = localname(el)
    if name in _BOOL_FIELDS:
        return "true" if parse_bool(el) else "false"
    if name == "ReminderDueBy":
        return format_datetime(parse_datetime(el))
    return el.text or ""


def read_subject(el: etree._Element) -> str:
    """Exchange keeps the first 255 characters of a longer Subject."""
    return (el.text or "")[:MAX_SUBJECT]


# UpdateItem: FieldURI -> (rules field, reader of the value element)
def _reader_text(child):
    return child.text or ""


UPDATE_FIELDS: dict[str, tuple[str, Callable[[etree._Element], object]]] = {
    "item:Subject": ("subject", lambda c: read_subject(c)),
    "item:Body": ("body", read_body),
    "item:Importance": ("importance", lambda c: parse_enum(c, c.text, IMPORTANCE, "Importance")),
    "item:Sensitivity": ("sensitivity", lambda c: parse_enum(c, c.text, SENSITIVITY, "Sensitivity")),
    "item:Categories": ("categories", lambda c: [s.text or "" for s in c.findall(T + "String")]),
    "item:ReminderIsSet": ("reminder_is_set", parse_bool),
    "item:ReminderDueBy": ("message_fields", lambda c: ("ReminderDueBy", _message_value(c))),
    "item:InReplyTo": ("in_reply_to", _reader_text),
    "message:ReplyTo": ("reply_to", read_recipients),
    **{f"message:{name}": ("message_fields", lambda c: (localname(c), _message_value(c)))
       for name in MESSAGE_FIELDS if name != "IsResponseRequested"},
    "message:IsResponseRequested": ("message_fields", lambda c: ("IsResponseRequested", _message_value(c))),
    "item:Culture": ("culture", lambda c: (c.text or "").strip()),
    "item:ReminderMinutesBeforeStart": ("reminder_minutes", parse_int),
    "message:IsRead": ("is_read", parse_bool),
    "calendar:Start": ("start", parse_datetime),
    "calendar:End": ("end", parse_datetime),
    "calendar:Location": ("location", _reader_text),
    "calendar:IsAllDayEvent": ("is_all_day", parse_bool),
    "calendar:LegacyFreeBusyStatus": (
        "free_busy", lambda c: parse_enum(c, c.text, FREE_BUSY_IN, "LegacyFreeBusyStatus")),
    "calendar:AllowNewTimeProposal": ("allow_new_time_proposal", parse_bool),
    "calendar:StartTimeZone": ("time_zone", calendar_fields.read_zone_value),
    "calendar:MeetingTimeZone": ("time_zone", calendar_fields.read_zone_value),
    "calendar:EndTimeZone": ("end_time_zone", calendar_fields.read_zone_value),
    "calendar:Recurrence": ("recurrence", wire_recurrence.read_recurrence),
    **written_fields.UPDATES,
}
_CLEARED = {"subject": "", "body": ("", "Text"), "location": "", "categories": [], "in_reply_to": "",
            "culture": "", "reply_to": [], "recurrence": None}


def read_changes(item_change: etree._Element) -> dict[str, object]:
    """SetItemField/DeleteItemField of one ItemChange, as rules fields.

    Fields this server does not model are accepted and ignored (project decision).
    """
    updates = item_change.find(T + "Updates")
    if updates is None:
        raise SchemaViolation("The element 'ItemChange' is missing its required child 'Updates'.", item_change)
    changes: dict[str, object] = {}
    header_ops: list[tuple[str, str | None]] = []
    zones = calendar_fields.update_zones(updates)  # a zone set here governs zone-less Start/End
    for op in updates:
        if not isinstance(op.tag, str):
            continue
        uri_el = op.find(T + "FieldURI")
        if uri_el is not None and UPDATE_FIELDS.get(uri_el.get("FieldURI") or "", ("",))[0] == "message_fields":
            element = (uri_el.get("FieldURI") or "").split(":", 1)[1]
            if localname(op) == "DeleteItemField":
                header_ops.append((element, None))
                continue
            holder = next((c for c in op if isinstance(c.tag, str) and c is not uri_el), None)
            value_el = holder.find(T + element) if holder is not None else None
            if value_el is None:
                raise SchemaViolation(f"SetItemField for message:{element} carries no value.", op)
            header_ops.append((element, _message_value(value_el)))
            continue
        ext_el = op.find(T + "ExtendedFieldURI")
        if ext_el is not None:
            # (key, property or None): merged into the item's properties by UpdateItem
            ops = changes.setdefault("extended", [])
            key, _ = read_uri(ext_el)
            if localname(op) == "DeleteItemField":
                ops.append((key, None))  # type: ignore[union-attr]
                continue
            holder = next((c for c in op if isinstance(c.tag, str) and c is not ext_el), None)
            prop_el = holder.find(T + "ExtendedProperty") if holder is not None else None
            if prop_el is None:
                raise SchemaViolation("SetItemField for an ExtendedFieldURI carries no ExtendedProperty.", op)
            ops.append((key, read_property(prop_el)))  # type: ignore[union-attr]
            continue
        uri_el = op.find(T + "FieldURI")
        uri = uri_el.get("FieldURI") if uri_el is not None else None
        if uri not in UPDATE_FIELDS:
            continue
        field_name, read = UPDATE_FIELDS[uri]
        if localname(op) == "DeleteItemField":
            if field_name in _CLEARED:
                changes[field_name] = _CLEARED[field_name]
            continue
        holder = next((c for c in op if isinstance(c.tag, str) and c is not uri_el), None)
        value_el = None
        if holder is not None:
            value_el = next((c for c in holder if isinstance(c.tag, str)), None)
        if value_el is None:
            raise SchemaViolation(f"SetItemField for {uri} carries no value.", op)
        with calendar_fields.update_zone_for(zones, uri):
            changes[field_name] = read(value_el)
    if "body" in changes:
        changes["body"], changes["body_type"] = changes["body"]  # type: ignore[misc]
    if header_ops:
        changes["message_fields"] = header_ops  # merged into the item's by UpdateItem
    return changes


def parse_item_ids(holder: etree._Element | None, tag: str = "ItemIds") -> list[tuple[str, str | None]]:
    if holder is None:
        raise SchemaViolation(f"The element '{tag}' is required.")
    out = []
    for child in holder:
        if not isinstance(child.tag, str):
            continue
        if localname(child) not in wire_recurrence.ID_ELEMENTS:
            raise SchemaViolation(f"The element '{localname(child)}' is not supported in {tag}.", child)
        out.append(wire_recurrence.item_id_of(child))
    return out


def iter_elements(parent: etree._Element) -> Iterable[etree._Element]:
    return (c for c in parent if isinstance(c.tag, str))
