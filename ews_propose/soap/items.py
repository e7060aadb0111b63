"""Items on the wire: the field table, shapes, and item (de)serialization.

Each field is declared once: its FieldURI, its element name, how it is written, whether
the Default shape has it, and the feature gate (``versions.GATES``) an answer must pass
to include it. Each item kind lists its elements in schema order (types.xsd).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property, lru_cache

from lxml import etree

from ..rules import model as m
from ..rules.engine import NewItem, Reply
from ..rules.ids import folder_id
from ..rules.model import Attendee, Item, Person
from ..versions import Build, gate, schema_has_element
from . import calendar_fields, written_fields
from . import recurrence as wire_recurrence
from .extended import read_property, read_uri, write_properties
from .xml import (
    TYPES_NS,
    SchemaViolation,
    T,
    esc,
    esc_attr,
    format_datetime,
    format_duration,
    inline,
    localname,
    parse_bool,
    parse_datetime,
    parse_enum,
    parse_int,
    sub,
    tagged,
    text_lines,
)

RESPONSE_TYPES = {
    m.UNKNOWN: "Unknown",
    m.ORGANIZER: "Organizer",
    m.TENTATIVE: "Tentative",
    m.ACCEPT: "Accept",
    m.DECLINE: "Decline",
    m.NO_RESPONSE: "NoResponseReceived",
}
FREE_BUSY = {
    m.FREE: "Free",
    m.TENTATIVE: "Tentative",
    m.BUSY: "Busy",
    m.OOF: "OOF",
    "working_elsewhere": "WorkingElsewhere",
    "no_data": "NoData",
}
FREE_BUSY_IN = {v: k for k, v in FREE_BUSY.items()}
REQUEST_TYPES = {
    m.NEW_REQUEST: "NewMeetingRequest",
    m.FULL_UPDATE: "FullUpdate",
    m.INFORMATIONAL_UPDATE: "InformationalUpdate",
}
ACTION_ELEMENTS = {
    m.ACT_ACCEPT: "AcceptItem",
    m.ACT_TENTATIVE: "TentativelyAcceptItem",
    m.ACT_DECLINE: "DeclineItem",
    m.ACT_PROPOSE: "ProposeNewTime",
    m.ACT_REPLY: "ReplyToItem",
    m.ACT_REPLY_ALL: "ReplyAllToItem",
    m.ACT_FORWARD: "ForwardItem",
    m.ACT_CANCEL: "CancelCalendarItem",
    m.ACT_REMOVE: "RemoveItem",
}
ITEM_ELEMENTS = {
    m.CALENDAR_ITEM: "CalendarItem",
    m.MESSAGE: "Message",
    m.MEETING_REQUEST: "MeetingRequest",
    m.MEETING_RESPONSE: "MeetingResponse",
    m.MEETING_CANCELLATION: "MeetingCancellation",
    m.GENERIC: "Item",
}
# The types.xsd type of each kind (for versions.ELEMENTS_SINCE).
ITEM_TYPES = {
    m.CALENDAR_ITEM: "CalendarItemType",
    m.MESSAGE: "MessageType",
    m.MEETING_REQUEST: "MeetingRequestMessageType",
    m.MEETING_RESPONSE: "MeetingResponseMessageType",
    m.MEETING_CANCELLATION: "MeetingCancellationMessageType",
    m.GENERIC: "ItemType",
}
IMPORTANCE = ("Low", "Normal", "High")
SENSITIVITY = ("Normal", "Personal", "Private", "Confidential")
BODY_TYPES = ("HTML", "Text")
_APPOINTMENT_STATE_MEETING, _APPOINTMENT_STATE_RECEIVED, _APPOINTMENT_STATE_CANCELLED = 1, 2, 4


@dataclass
class Reader:
    """Who reads, and what the server and requested schema let them see."""

    actor: str
    build: Build
    schema: str
    actions: Callable[[Item], list[str]]

    def feature(self, name: str) -> bool:
        return gate(name).open_for(self.build, self.schema)

    @cached_property
    def open_features(self) -> frozenset[str]:
        return frozenset(name for name in _GATED if self.feature(name))


Writer = Callable[[list[str], Item, Reader], None]


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
        from .attachments import write_metadata
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
    from .mime import write_mime
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


# --- shapes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    base: str  # IdOnly | Default | AllProperties
    extra: frozenset[str] = frozenset()
    # extended properties asked for: (key, the ExtendedFieldURI's attributes), in request order
    extended: tuple = ()

    def wants(self, f: Field) -> bool:
        if f.uri == "item:ExtendedProperty":
            return bool(self.extended)  # never part of a base shape, as in Exchange
        if f.uri == "item:MimeContent":
            return f.uri in self.extra  # only when asked for, as in Exchange
        if f.uri == "item:ItemId" or f.uri in self.extra:
            return True
        if self.base == "AllProperties":
            return True
        if self.base == "Default":
            return f.default
        return False


ID_ONLY = Shape("IdOnly")
BASE_SHAPES = ("IdOnly", "Default", "AllProperties")


def parse_shape(el: etree._Element | None) -> Shape:
    """ItemShape. FieldURIs this server does not model are ignored, never refused."""
    if el is None:
        raise SchemaViolation("The element 'ItemShape' is required.")
    base_el = el.find(T + "BaseShape")
    if base_el is None:
        raise SchemaViolation("The element 'ItemShape' is missing its required child 'BaseShape'.", el)
    base = parse_enum(base_el, base_el.text, BASE_SHAPES, "BaseShape")
    extra: set[str] = set()
    extended: dict[str, tuple] = {}
    if (el.findtext(T + "IncludeMimeContent") or "").strip() in ("true", "1"):
        extra.add("item:MimeContent")
    props = el.find(T + "AdditionalProperties")
    if props is not None:
        for child in props:
            if child.tag == T + "FieldURI":
                uri = child.get("FieldURI")
                if not uri:
                    raise SchemaViolation("The required attribute 'FieldURI' is missing.", child)
                extra.add(uri)
            elif child.tag == T + "ExtendedFieldURI":
                key, attrs = read_uri(child)
                extended.setdefault(key, attrs)
    return Shape(base, frozenset(extra), tuple(extended.items()))


_ITEM_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_TYPES_DECL = f'xmlns:t="{TYPES_NS}"'


def _writers(kind: str, shape: Shape, open_features: frozenset[str], schema: str) -> tuple[Writer, ...]:
    """The writers an item of ``kind`` needs for ``shape`` under the requested schema
    version (elements that version lacks are left out), in wire order."""
    wanted = shape.extended
    type_name = ITEM_TYPES[kind]

    def extended(out, item, reader):
        write_properties(out, item, wanted)
    return tuple(extended if f.uri == "item:ExtendedProperty" else f.write for f in WIRE_ORDER[kind]
                 if shape.wants(f) and (f.feature is None or f.feature in open_features)
                 and schema_has_element(type_name, f.element, schema))


def _compiled(writers: tuple[Writer, ...]) -> Writer:
    """One function doing what the writers do in turn, with the simple ones' bodies
    written into it (their ``inline`` source) and the others called: a FindItem of 21
    items runs some thousand writers, and a Python call apiece was a third of its
    writing time."""
    names: dict[str, object] = {"esc": esc, "esc_attr": esc_attr, "fmt": format_datetime, "folder_id": folder_id}
    body = ["def write_item(out, item, reader):", "    a = out.append"]
    for n, write in enumerate(writers):
        inline = getattr(write, "inline", None)
        if inline is None:
            names[f"w{n}"] = write
            body.append(f"    w{n}(out, item, reader)")
            continue
        lines, const = inline
        names[f"c{n}"] = const
        body += ["    " + line.replace("{C}", f"c{n}") for line in lines]
    code = compile("\n".join(body) + "\n", "<ews_propose item writer>", "exec")
    exec(code, names)  # noqa: S102 - source written above from this module's own templates
    return names["write_item"]  # type: ignore[return-value]


@lru_cache(maxsize=1024)
def _plan(kind: str, shape: Shape, open_features: frozenset[str], schema: str) -> Writer:
    """What writes an item of ``kind`` for ``shape`` under the requested schema version:
    one function, worked out once."""
    return _compiled(_writers(kind, shape, open_features, schema))


_GATED = frozenset(f.feature for f in FIELDS.values() if f.feature)


def _write_item(out: list[str], item: Item, shape: Shape, reader: Reader, declare: str = "") -> None:
    name = ITEM_ELEMENTS[item.kind]
    out.append(f"<t:{name}{declare}>")
    _plan(item.kind, shape, reader.open_features, reader.schema)(out, item, reader)
    out.append(f"</t:{name}>")


def item_text(item: Item, shape: Shape, reader: Reader) -> str:
    """The item's element as text, exactly as lxml would write it inside an answer whose
    response element declares ``t:`` (soap/raw.py): the writers close empty elements
    (``xml.tagged``) and escape as lxml does; tests/test_raw_items.py checks it."""
    out: list[str] = []
    _write_item(out, item, shape, reader)
    return "".join(out)


def items_text(items: Iterable[Item], shape: Shape, reader: Reader) -> str:
    """``<t:Items>`` holding every item, as :func:`item_text` writes one."""
    out = ["<t:Items>"]
    plans: dict[str, Writer] = {}  # per kind, looked up once
    for item in items:
        kind = item.kind
        plan = plans.get(kind)
        if plan is None:
            plan = plans[kind] = _plan(kind, shape, reader.open_features, reader.schema)
        name = ITEM_ELEMENTS[kind]
        out.append(f"<t:{name}>")
        plan(out, item, reader)
        out.append(f"</t:{name}>")
    out.append("</t:Items>")
    return "".join(out)


TYPES_DECL_BYTES = len(" " + _TYPES_DECL)


def item_element(item: Item, shape: Shape, reader: Reader) -> etree._Element:
    out: list[str] = []
    _write_item(out, item, shape, reader, " " + _TYPES_DECL)
    return etree.fromstring("".join(out), _ITEM_PARSER)


def items_element(items: Iterable[Item], shape: Shape, reader: Reader) -> etree._Element:
    """``<t:Items>`` holding every item: one parse for the lot."""
    out = [f"<t:Items {_TYPES_DECL}>"]
    for item in items:
        _write_item(out, item, shape, reader)
    out.append("</t:Items>")
    return etree.fromstring("".join(out), _ITEM_PARSER)


def id_element(item: Item, with_attachments: bool = False) -> etree._Element:
    """The item's element with its ItemId (and, for CreateItem, its attachments' ids)."""
    el = etree.Element(T + ITEM_ELEMENTS[item.kind])
    sub(el, T + "ItemId", Id=item.id, ChangeKey=item.change_key)
    if with_attachments and item.attachments:
        from ..rules.attachments import attachment_id
        holder = sub(el, T + "Attachments")
        for att in item.attachments:
            kind = sub(holder, T + ("FileAttachment" if att["kind"] == "file" else "ItemAttachment"))
            sub(kind, T + "AttachmentId", Id=attachment_id(item.id, att["aid"]), RootItemId=item.id,
                RootItemChangeKey=item.change_key)
    return el


# --- reading items out of requests ---------------------------------------------------


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
            from .mime import read_mime
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
            from .attachments import read_attachments
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

