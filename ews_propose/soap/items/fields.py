"""The field table: every item field the server writes, declared once: its FieldURI,
its element name, how it is written, whether the Default shape has it, and the feature
gate (``versions.GATES``) an answer must pass to include it; and each item kind's
elements in schema order (types.xsd).

Writers append escaped XML text to a list (see :mod:`.text`, which puts a plan's
writers together into one function): a few times cheaper than building ~90 elements
one SubElement call at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from lxml import etree

from ...rules import model as m
from ...rules.ids import folder_id
from ...rules.model import Item, Person
from ...versions import schema_has_element
from .. import calendar_fields, written_fields
from .. import recurrence as wire_recurrence
from ..xml import esc, esc_attr, format_datetime, format_duration, inline, tagged, text_lines
from .vocabulary import (
    _APPOINTMENT_STATE_CANCELLED,
    _APPOINTMENT_STATE_MEETING,
    _APPOINTMENT_STATE_RECEIVED,
    ACTION_ELEMENTS,
    BODY_TYPES,
    FREE_BUSY,
    REQUEST_TYPES,
    RESPONSE_TYPES,
)

if TYPE_CHECKING:
    from .text import Reader

Writer = Callable[[list[str], Item, "Reader"], None]


@dataclass(frozen=True)
class Field:
    uri: str
    element: str
    write: Writer
    default: bool = True
    feature: str | None = None


# --- writers -------------------------------------------------------------------------
# Writers append escaped XML text to a list; each item is parsed once by lxml. This is a
# few times cheaper than building ~90 elements one SubElement call at a time.


def _el(out: list[str], tag: str, text: str) -> None:
    out.append(tagged(tag, esc(text)))


def _text(attr: str, *, empty_ok: bool = False) -> Callable[[str], Writer]:
    def make(tag: str) -> Writer:
        def write(out, item, reader):
            value = getattr(item, attr)
            if value or (empty_ok and value is not None):
                _el(out, tag, str(value))
        test = "v is not None" if empty_ok else "v"
        return inline(write, f"v = item.{attr}", f"if {test}:",
                      *("    " + line for line in text_lines(tag, "v if v.__class__ is str else str(v)")))
    return make


def _bool(attr: str | Callable[[Item], bool | None]) -> Callable[[str], Writer]:
    get = attr if callable(attr) else (lambda item: getattr(item, attr))

    def make(tag: str) -> Writer:
        def write(out, item, reader):
            value = get(item)
            if value is not None:
                out.append(f"<t:{tag}>{'true' if value else 'false'}</t:{tag}>")
        yes, no = f"<t:{tag}>true</t:{tag}>", f"<t:{tag}>false</t:{tag}>"
        return inline(write, "v = {C}[0](item)" if callable(attr) else f"v = item.{attr}",
                       "if v is not None: a({C}[1] if v else {C}[2])", const=(get, yes, no))
    return make


def _datetime(attr: str) -> Callable[[str], Writer]:
    def make(tag: str) -> Writer:
        def write(out, item, reader):
            value = getattr(item, attr)
            if value is not None:
                out.append(f"<t:{tag}>{format_datetime(value)}</t:{tag}>")
        return inline(write, f"v = item.{attr}", f"if v is not None: a('<t:{tag}>' + fmt(v) + '</t:{tag}>')")
    return make


def _enum(attr: str, mapping: dict[str, str]) -> Callable[[str], Writer]:
    def make(tag: str) -> Writer:
        def write(out, item, reader):
            value = getattr(item, attr)
            if value in mapping:
                out.append(f"<t:{tag}>{mapping[value]}</t:{tag}>")
        written = {key: f"<t:{tag}>{text}</t:{tag}>" for key, text in mapping.items()}
        return inline(write, f"v = item.{attr}", "if v in {C}: a({C}[v])", const=written)
    return make


def _const(value: str) -> Callable[[str], Writer]:
    def make(tag: str) -> Writer:
        text = f"<t:{tag}>{value}</t:{tag}>"

        def write(out, item, reader):
            out.append(text)
        return inline(write, "a({C})", const=text)
    return make


def write_mailbox(out: list[str], person: Person, tag: str = "Mailbox") -> None:
    out.append(f"<t:{tag}>{tagged('Name', esc(person.name or person.smtp))}"
               f"{tagged('EmailAddress', esc(person.smtp))}"
               f"<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:{tag}>")


def _single_recipient(attr: str) -> Callable[[str], Writer]:
    def make(tag: str) -> Writer:
        def write(out, item, reader):
            person = getattr(item, attr)
            if person is not None:
                out.append(f"<t:{tag}>")
                write_mailbox(out, person)
                out.append(f"</t:{tag}>")
        return _guarded(write, f"item.{attr} is not None")
    return make


def _recipients(attr: str) -> Callable[[str], Writer]:
    def make(tag: str) -> Writer:
        def write(out, item, reader):
            people = getattr(item, attr)
            if people:
                out.append(f"<t:{tag}>")
                for person in people:
                    write_mailbox(out, person)
                out.append(f"</t:{tag}>")
        return write
    return make


def _attendees(role: str) -> Callable[[str], Writer]:
    def make(tag: str) -> Writer:
        def write(out, item, reader):
            people = [a for a in item.attendees if a.role == role]
            if not people:
                return
            out.append(f"<t:{tag}>")
            proposals = reader.feature("propose_new_time") and schema_has_element(
                "AttendeeType", "ProposedStart", reader.schema)
            for a in people:
                out.append("<t:Attendee>")
                write_mailbox(out, Person(a.smtp, a.name))
                out.append(f"<t:ResponseType>{RESPONSE_TYPES.get(a.response, 'Unknown')}</t:ResponseType>")
                if a.last_response_time is not None:
                    out.append(f"<t:LastResponseTime>{format_datetime(a.last_response_time)}</t:LastResponseTime>")
                if proposals and a.proposed_start is not None and a.proposed_end is not None:
                    out.append(f"<t:ProposedStart>{format_datetime(a.proposed_start)}</t:ProposedStart>"
                               f"<t:ProposedEnd>{format_datetime(a.proposed_end)}</t:ProposedEnd>")
                out.append("</t:Attendee>")
            out.append(f"</t:{tag}>")
        return write
    return make


def _guarded(write: Writer, test: str) -> Writer:
    """A writer whose compiled form calls it only when ``test`` (source, on ``item``)
    holds: most items have nothing to write for it."""
    return inline(write, f"if {test}: {{C}}(out, item, reader)", const=write)


def _item_id(out, item, reader):
    out.append(f'<t:ItemId Id="{esc_attr(item.id)}" ChangeKey="{esc_attr(item.change_key)}"/>')


inline(_item_id, """a('<t:ItemId Id="' + esc_attr(item.id) + '" ChangeKey="' + esc_attr(item.change_key) + '"/>')""")


def _parent_folder_id(out, item, reader):
    out.append(f'<t:ParentFolderId Id="{folder_id(item.mailbox, item.folder)}" ChangeKey="AQAAAA=="/>')


inline(_parent_folder_id, """a('<t:ParentFolderId Id="' + folder_id(item.mailbox, item.folder) + '" ChangeKey="AQAAAA=="/>')""")


def _body(out, item, reader):
    body_type = item.body_type if item.body_type in BODY_TYPES else "Text"
    out.append(tagged("Body", esc(item.body or ""), f' BodyType="{body_type}"'))


def _attachments(out, item, reader):
    if item.attachments:
        from ..attachments import write_metadata
        out.append("<t:Attachments>")
        for att in item.attachments:
            write_metadata(out, item, att)
        out.append("</t:Attachments>")


_guarded(_attachments, "item.attachments")


def _has_attachments(out, item, reader):
    visible = any(not a.get("is_inline") for a in item.attachments)
    out.append(f"<t:HasAttachments>{'true' if visible else 'false'}</t:HasAttachments>")


inline(_has_attachments, "if item.attachments: {C}(out, item, reader)",
       "else: a('<t:HasAttachments>false</t:HasAttachments>')", const=_has_attachments)


def _text_body(out, item, reader):
    text = item.body or ""
    if item.body_type == "HTML" and text.strip():
        from lxml import html
        try:
            text = html.fromstring(text).text_content()
        except (etree.ParserError, ValueError):
            pass
    out.append(tagged("TextBody", esc(text), ' BodyType="Text"'))


def _categories(out, item, reader):
    if item.categories:
        out.append("<t:Categories>" + "".join(tagged("String", esc(c)) for c in item.categories)
                   + "</t:Categories>")


_guarded(_categories, "item.categories")


def _response_objects(out, item, reader):
    out.append(tagged("ResponseObjects", "".join(f"<t:{ACTION_ELEMENTS[a]}/>" for a in reader.actions(item))))


def _size(out, item, reader):
    out.append(f"<t:Size>{512 + len(item.subject.encode()) + len(item.body.encode())}</t:Size>")


inline(_size, "a('<t:Size>' + str(512 + len(item.subject.encode()) + len(item.body.encode())) + '</t:Size>')")


def _display(attr: str) -> Callable[[str], Writer]:
    def make(tag: str) -> Writer:
        def write(out, item, reader):
            _el(out, tag, "; ".join(p.name or p.smtp for p in getattr(item, attr)))
        return inline(write, f"if item.{attr}: {{C}}[0](out, item, reader)", "else: a({C}[1])",
                      const=(write, f"<t:{tag}/>"))
    return make


def _associated(out, item, reader):
    if item.associated_item_id:
        out.append(f'<t:AssociatedCalendarItemId Id="{esc_attr(item.associated_item_id)}"/>')


def _duration(out, item, reader):
    if item.start is not None and item.end is not None:
        out.append(f"<t:Duration>{format_duration(item.end - item.start)}</t:Duration>")


def _appointment_state(out, item, reader):
    state = 0
    if item.is_meeting or item.kind == m.MEETING_REQUEST:
        state |= _APPOINTMENT_STATE_MEETING
        if not item.is_organized_by(item.mailbox):
            state |= _APPOINTMENT_STATE_RECEIVED
    if item.is_cancelled:
        state |= _APPOINTMENT_STATE_CANCELLED
    out.append(f"<t:AppointmentState>{state}</t:AppointmentState>")


def _proposed(attr: str) -> Callable[[str], Writer]:
    def make(tag: str) -> Writer:
        def write(out, item, reader):
            if item.proposed_start is not None and item.proposed_end is not None:
                out.append(f"<t:{tag}>{format_datetime(getattr(item, attr))}</t:{tag}>")
        return write
    return make


def _is_response_requested(item: Item) -> bool | None:
    return item.is_response_requested if item.kind in (m.CALENDAR_ITEM, m.MEETING_REQUEST) else None


# A message's header fields kept as written (Item.message_fields), with their defaults.
MESSAGE_FIELDS = {"IsReadReceiptRequested": "false", "IsDeliveryReceiptRequested": "false",
                  "InternetMessageId": None, "IsResponseRequested": None, "References": None}
_BOOL_FIELDS = ("IsReadReceiptRequested", "IsDeliveryReceiptRequested", "IsResponseRequested")


def _message_field(name: str) -> Callable[[str], Writer]:
    def make(tag: str) -> Writer:
        def write(out, item, reader):
            value = item.message_fields.get(name, MESSAGE_FIELDS[name])
            if name == "IsResponseRequested" and value is None:
                value = _is_response_requested(item)
                value = None if value is None else ("true" if value else "false")
            if value is not None:
                _el(out, tag, value)
        return write
    return make


def _has_reminder(item: Item) -> bool:
    # Messages and generic items keep the reminder they were given; meeting responses
    # and cancellations have none.
    return item.kind in (m.CALENDAR_ITEM, m.MEETING_REQUEST, m.MESSAGE, m.GENERIC)


def _reminder_is_set(item: Item) -> bool:
    return item.reminder_is_set and _has_reminder(item)


def _reminder_due_by(out, item, reader):
    """As written for messages and generic items; a calendar item's is its start less the
    reminder's minutes. Only while the reminder is set."""
    if not _reminder_is_set(item):
        return
    value = item.message_fields.get("ReminderDueBy")
    if value is None and item.kind == m.CALENDAR_ITEM and item.start is not None:
        value = format_datetime(m.shifted(item.start, -timedelta(minutes=item.reminder_minutes)))  # held in 0001..9999
    if value:
        _el(out, "ReminderDueBy", value)


def _reminder_minutes(out, item, reader):
    minutes = item.reminder_minutes if _has_reminder(item) else 0
    out.append(f"<t:ReminderMinutesBeforeStart>{minutes}</t:ReminderMinutesBeforeStart>")


def _mime_content(out, item, reader):
    from ..mime import write_mime
    write_mime(out, item, reader)


def _plain(fn: Writer) -> Callable[[str], Writer]:
    return lambda tag: fn


# --- the field table -----------------------------------------------------------------
# (FieldURI, element, writer factory, in Default shape, gate)
_TABLE: list[tuple[str, str, Callable[[str], Writer], bool, str | None]] = [
    ("item:ItemId", "ItemId", _plain(_item_id), True, None),
    ("item:ParentFolderId", "ParentFolderId", _plain(_parent_folder_id), True, None),
    ("item:ItemClass", "ItemClass", _text("item_class"), True, None),
    ("item:Subject", "Subject", _text("subject", empty_ok=True), True, None),
    ("item:Sensitivity", "Sensitivity", _text("sensitivity"), True, None),
    ("item:Body", "Body", _plain(_body), True, None),
    ("item:Attachments", "Attachments", _plain(_attachments), True, None),
    ("item:DateTimeReceived", "DateTimeReceived", _datetime("received"), True, None),
    ("item:Size", "Size", _plain(_size), True, None),
    ("item:Categories", "Categories", _plain(_categories), True, None),
    ("item:Importance", "Importance", _text("importance"), True, None),
    ("item:IsDraft", "IsDraft", _bool("is_draft"), True, None),
    ("item:DateTimeSent", "DateTimeSent", _datetime("received"), True, None),
    ("item:DateTimeCreated", "DateTimeCreated", _datetime("created"), True, None),
    ("item:ResponseObjects", "ResponseObjects", _plain(_response_objects), False, None),
    ("item:ReminderDueBy", "ReminderDueBy", _plain(_reminder_due_by), True, None),
    ("item:ReminderIsSet", "ReminderIsSet", _bool(_reminder_is_set), True, None),
    ("item:ReminderMinutesBeforeStart", "ReminderMinutesBeforeStart", _plain(_reminder_minutes), True, None),
    ("item:DisplayCc", "DisplayCc", _display("cc"), True, None),
    ("item:DisplayTo", "DisplayTo", _display("to"), True, None),
    ("item:HasAttachments", "HasAttachments", _plain(_has_attachments), True, None),
    # written by the shape's own writer (see _plan): only the properties it asks for
    ("item:ExtendedProperty", "ExtendedProperty", _plain(lambda out, item, reader: None), False, None),
    ("item:InReplyTo", "InReplyTo", _text("in_reply_to"), True, None),
    ("item:TextBody", "TextBody", _plain(_text_body), False, None),
    ("item:Culture", "Culture", _plain(inline(lambda out, item, reader: _el(out, "Culture", item.culture or "en-US"),
                                              *text_lines("Culture", "item.culture or 'en-US'"))), True, None),
    # MessageType
    ("message:Sender", "Sender", _single_recipient("sender"), True, None),
    ("message:ToRecipients", "ToRecipients", _recipients("to"), True, None),
    ("message:CcRecipients", "CcRecipients", _recipients("cc"), True, None),
    ("message:BccRecipients", "BccRecipients", _recipients("bcc"), False, None),
    ("message:IsReadReceiptRequested", "IsReadReceiptRequested", _message_field("IsReadReceiptRequested"), True,
     None),
    ("message:IsDeliveryReceiptRequested", "IsDeliveryReceiptRequested", _message_field("IsDeliveryReceiptRequested"),
     True, None),
    ("message:InternetMessageId", "InternetMessageId", _message_field("InternetMessageId"), True, None),
    ("message:References", "References", _message_field("References"), True, None),
    ("message:ReplyTo", "ReplyTo", _recipients("reply_to"), True, None),
    ("message:ConversationTopic", "ConversationTopic", _text("subject", empty_ok=True), True, None),
    ("message:From", "From", _single_recipient("sender"), True, None),
    ("message:IsRead", "IsRead", _bool("is_read"), True, None),
    ("message:IsResponseRequested", "IsResponseRequested", _message_field("IsResponseRequested"), True, None),
    # MeetingMessageType
    ("meeting:AssociatedCalendarItemId", "AssociatedCalendarItemId", _plain(_associated), True, None),
    ("meeting:IsDelegated", "IsDelegated", _const("false"), True, None),
    ("meeting:IsOutOfDate", "IsOutOfDate", _bool("is_out_of_date"), True, None),
    ("meeting:HasBeenProcessed", "HasBeenProcessed", _bool("has_been_processed"), True, None),
    ("meeting:ResponseType", "ResponseType", _enum("response", RESPONSE_TYPES), True, None),
    ("calendar:UID", "UID", _text("uid"), True, None),
    ("calendar:DateTimeStamp", "DateTimeStamp", _datetime("created"), True, None),
    # MeetingRequestMessageType
    ("meetingRequest:MeetingRequestType", "MeetingRequestType", _enum("request_type", REQUEST_TYPES), True, None),
    ("meetingRequest:IntendedFreeBusyStatus", "IntendedFreeBusyStatus", _enum("free_busy", FREE_BUSY), True, None),
    # CalendarItemType and the calendar part of meeting messages
    ("calendar:Start", "Start", _datetime("start"), True, None),
    ("calendar:End", "End", _datetime("end"), True, None),
    ("calendar:IsAllDayEvent", "IsAllDayEvent", _bool("is_all_day"), True, None),
    ("calendar:LegacyFreeBusyStatus", "LegacyFreeBusyStatus", _enum("free_busy", FREE_BUSY), True, None),
    ("calendar:Location", "Location", _text("location"), True, None),
    ("calendar:IsMeeting", "IsMeeting", _bool("is_meeting"), True, None),
    ("calendar:IsCancelled", "IsCancelled", _bool("is_cancelled"), True, None),
    ("calendar:IsRecurring", "IsRecurring", _const("false"), True, None),
    ("calendar:MeetingRequestWasSent", "MeetingRequestWasSent", _bool("meeting_request_was_sent"), True, None),
    ("calendar:IsResponseRequested", "IsResponseRequested", _bool("is_response_requested"), True, None),
    ("calendar:CalendarItemType", "CalendarItemType", _const("Single"), True, None),
    ("calendar:MyResponseType", "MyResponseType", _enum("my_response", RESPONSE_TYPES), True, None),
    ("calendar:Organizer", "Organizer", _single_recipient("organizer"), True, None),
    ("calendar:RequiredAttendees", "RequiredAttendees", _attendees(m.REQUIRED), False, None),
    ("calendar:OptionalAttendees", "OptionalAttendees", _attendees(m.OPTIONAL), False, None),
    ("calendar:Resources", "Resources", _attendees(m.RESOURCE), False, None),
    ("calendar:Duration", "Duration", _plain(_duration), True, None),
    ("calendar:AppointmentSequenceNumber", "AppointmentSequenceNumber", _text("sequence", empty_ok=True), True, None),
    ("calendar:AppointmentState", "AppointmentState", _plain(_appointment_state), True, None),
    ("meeting:ProposedStart", "ProposedStart", _proposed("proposed_start"), True, "propose_new_time"),
    ("meeting:ProposedEnd", "ProposedEnd", _proposed("proposed_end"), True, "propose_new_time"),
    ("calendar:AllowNewTimeProposal", "AllowNewTimeProposal", _bool("allow_new_time_proposal"), True, None),
    ("calendar:IsOnlineMeeting", "IsOnlineMeeting", _const("false"), True, None),
    ("item:MimeContent", "MimeContent", _plain(_mime_content), False, None),
    *written_fields.TABLE,
]
FIELDS: dict[str, Field] = {uri: Field(uri, el, make(el), default, feat)
                             for uri, el, make, default, feat in _TABLE + calendar_fields.TABLE + wire_recurrence.TABLE}
_BY_ELEMENT = {f.element: f for f in FIELDS.values()}
# Element names that two item types define differently are listed by FieldURI.
_BY_ELEMENT["message:IsResponseRequested"] = FIELDS["message:IsResponseRequested"]
_BY_ELEMENT["calendar:IsResponseRequested"] = FIELDS["calendar:IsResponseRequested"]

_ITEM = ["MimeContent", "ItemId", "ParentFolderId", "ItemClass", "Subject", "Sensitivity", "Body", "Attachments", "DateTimeReceived",
         "Size", "Categories", "Importance", "InReplyTo", "IsDraft", "DateTimeSent", "DateTimeCreated",
         "ResponseObjects", "ReminderDueBy", "ReminderIsSet", "ReminderMinutesBeforeStart", "DisplayCc", "DisplayTo",
         "HasAttachments", "ExtendedProperty", "Culture", "TextBody"]
_MESSAGE = ["Sender", "ToRecipients", "CcRecipients", "BccRecipients", "IsReadReceiptRequested",
            "IsDeliveryReceiptRequested", "ConversationTopic", "From", "InternetMessageId", "IsRead",
            "message:IsResponseRequested", "References", "ReplyTo"]
_MEETING_MESSAGE = ["AssociatedCalendarItemId", "IsDelegated", "IsOutOfDate", "HasBeenProcessed",
                    "ResponseType", "UID", "RecurrenceId", "DateTimeStamp"]
_CALENDAR_CORE = ["Start", "End", "OriginalStart", "IsAllDayEvent", "LegacyFreeBusyStatus", "Location", "When",
                  "IsMeeting", "IsCancelled", "IsRecurring", "MeetingRequestWasSent"]
_CALENDAR_PEOPLE = ["CalendarItemType", "MyResponseType", "Organizer", "RequiredAttendees",
                    "OptionalAttendees", "Resources", "Duration", "TimeZone", "AppointmentSequenceNumber",
                    "AppointmentState", "Recurrence", "FirstOccurrence", "LastOccurrence",
                    "ModifiedOccurrences", "DeletedOccurrences", "MeetingTimeZone", "StartTimeZone", "EndTimeZone",
                    "ConferenceType", "AllowNewTimeProposal", "IsOnlineMeeting", "MeetingWorkspaceUrl", "NetShowUrl",
                    "StartTimeZoneId", "EndTimeZoneId"]

WIRE_ORDER: dict[str, list[Field]] = {
    kind: [_BY_ELEMENT[name] for name in names]
    for kind, names in {
        m.CALENDAR_ITEM: _ITEM + ["UID", "RecurrenceId", "DateTimeStamp"] + _CALENDAR_CORE + ["calendar:IsResponseRequested"]
        + _CALENDAR_PEOPLE,
        m.MESSAGE: _ITEM + _MESSAGE,
        m.MEETING_REQUEST: _ITEM + _MESSAGE + _MEETING_MESSAGE
        + ["MeetingRequestType", "IntendedFreeBusyStatus"] + _CALENDAR_CORE + _CALENDAR_PEOPLE,
        m.MEETING_RESPONSE: _ITEM + _MESSAGE + _MEETING_MESSAGE
        + ["Start", "End", "Location", "CalendarItemType", "ProposedStart", "ProposedEnd"],
        m.MEETING_CANCELLATION: _ITEM + _MESSAGE + _MEETING_MESSAGE
        + ["Start", "End", "Location", "CalendarItemType"],
        m.GENERIC: _ITEM,
    }.items()
}
