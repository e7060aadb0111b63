"""GetUserAvailability: free/busy for users and rooms over a window (no suggestions)."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from ...rules.availability import merged_free_busy
from ..context import EwsRequest
from ..errors import EwsFault
from ..items import FREE_BUSY
from ..timezones import serializable_zone
from ..xml import (
    RESPONSE_NSMAP,
    M,
    SchemaViolation,
    T,
    format_bool,
    format_datetime,
    parse_datetime,
    parse_enum,
    parse_int,
    reading_in,
    sub,
)
from . import operation

MAX_MAILBOXES = 100
MAX_WINDOW = timedelta(days=42)
VIEWS = ("MergedOnly", "FreeBusy", "FreeBusyMerged", "Detailed", "DetailedMerged")
ATTENDEE_TYPES = ("Organizer", "Required", "Optional", "Room", "Resource")


def GetUserAvailability(req: EwsRequest, request):
    zone_el = request.find(T + "TimeZone")
    zone = serializable_zone(zone_el) if zone_el is not None else req.zone
    holder = request.find(M + "MailboxDataArray")
    if holder is None:
        raise SchemaViolation("The element 'GetUserAvailabilityRequest' is missing 'MailboxDataArray'.", request)
    addresses = []
    for data in holder.findall(T + "MailboxData"):
        address = data.findtext(f"{T}Email/{T}Address")
        if not address or not address.strip():
            raise SchemaViolation("A MailboxData needs Email/Address.", data)
        kind = data.find(T + "AttendeeType")
        if kind is not None:
            parse_enum(kind, kind.text, ATTENDEE_TYPES, "AttendeeType")
        addresses.append(address.strip())
    if not addresses:
        raise SchemaViolation("MailboxDataArray has incomplete content.", holder)
    if len(addresses) > MAX_MAILBOXES:
        raise EwsFault("ErrorMailboxDataArrayTooBig",
                       f"There are too many target users in the EmailAddress array. The allowed size = "
                       f"{MAX_MAILBOXES}; the actual size = {len(addresses)}.")
    options = request.find(T + "FreeBusyViewOptions")
    if options is None:
        raise SchemaViolation("This emulator answers free/busy only: FreeBusyViewOptions is required "
                              "(SuggestionsViewOptions alone is not supported).", request)
    window = options.find(T + "TimeWindow")
    if window is None or window.find(T + "StartTime") is None or window.find(T + "EndTime") is None:
        raise SchemaViolation("FreeBusyViewOptions needs a TimeWindow with StartTime and EndTime.", options)
    with reading_in(zone):
        start = parse_datetime(window.find(T + "StartTime"))
        end = parse_datetime(window.find(T + "EndTime"))
    if end <= start:
        raise EwsFault("ErrorInvalidTimeInterval", "The EndTime of the TimeWindow must be after its StartTime.")
    if end - start > MAX_WINDOW:
        raise EwsFault("ErrorTimeIntervalTooBig",
                       "The time window is too long: free/busy can be asked for at most 42 days at once.")
    interval_el = options.find(T + "MergedFreeBusyIntervalInMinutes")
    interval = timedelta(minutes=parse_int(interval_el, 5, 1440) if interval_el is not None else 30)
    view_el = options.find(T + "RequestedView")
    # RequestedView is optional; without it, FreeBusy (the EWS Managed API's default).
    view = parse_enum(view_el, view_el.text, VIEWS, "RequestedView") if view_el is not None else "FreeBusy"

    root = etree.Element(M + "GetUserAvailabilityResponse", nsmap=RESPONSE_NSMAP)
    array = sub(root, M + "FreeBusyResponseArray")
    for address in addresses:
        entry = sub(array, M + "FreeBusyResponse")
        events = req.rules.schedule(address, start, end)
        if events is None:
            msg = sub(entry, M + "ResponseMessage", ResponseClass="Error")
            sub(msg, M + "MessageText", f"Unable to resolve e-mail address {address} to a mailbox.")
            sub(msg, M + "ResponseCode", "ErrorMailRecipientNotFound")
            sub(msg, M + "DescriptiveLinkKey", "0")
            sub(sub(entry, M + "FreeBusyView"), T + "FreeBusyViewType", "None")
            continue
        msg = sub(entry, M + "ResponseMessage", ResponseClass="Success")
        sub(msg, M + "ResponseCode", "NoError")
        fb = sub(entry, M + "FreeBusyView")
        sub(fb, T + "FreeBusyViewType", view)
        if "Merged" in view:
            sub(fb, T + "MergedFreeBusy", merged_free_busy(events, start, end, interval))
        if view != "MergedOnly":
            listed = sub(fb, T + "CalendarEventArray")
            for e in events:
                ev = sub(listed, T + "CalendarEvent")
                sub(ev, T + "StartTime", format_datetime(e.start))
                sub(ev, T + "EndTime", format_datetime(e.end))
                sub(ev, T + "BusyType", FREE_BUSY.get(e.busy_type, "Busy"))
                if view.startswith("Detailed"):
                    details = sub(ev, T + "CalendarEventDetails")
                    sub(details, T + "ID", e.item_id)
                    # Private items show only their time, as Exchange shows them to others.
                    sub(details, T + "Subject", "" if e.is_private else e.subject)
                    sub(details, T + "Location", "" if e.is_private else e.location)
                    sub(details, T + "IsMeeting", format_bool(e.is_meeting))
                    sub(details, T + "IsRecurring", "false")
                    sub(details, T + "IsException", "false")
                    sub(details, T + "IsReminderSet", format_bool(e.reminder_is_set))
                    sub(details, T + "IsPrivate", format_bool(e.is_private))
            working_hours(fb)
    return root


def working_hours(parent) -> None:
    """Exchange's default working hours (08:00-17:00, Monday to Friday). Mailboxes here keep
    no time zone of their own, so the hours are in UTC, written as Exchange writes a zone
    without daylight saving (placeholder transitions, both with zero bias)."""
    hours = sub(parent, T + "WorkingHours")
    zone = sub(hours, T + "TimeZone")
    sub(zone, T + "Bias", "0")
    for tag, order, month, day in (("StandardTime", "1", "1", "Monday"), ("DaylightTime", "5", "12", "Sunday")):
        el = sub(zone, T + tag)
        sub(el, T + "Bias", "0")
        sub(el, T + "Time", "00:00:00")
        sub(el, T + "DayOrder", order)
        sub(el, T + "Month", month)
        sub(el, T + "DayOfWeek", day)
    period = sub(sub(hours, T + "WorkingPeriodArray"), T + "WorkingPeriod")
    sub(period, T + "DayOfWeek", "Monday Tuesday Wednesday Thursday Friday")
    sub(period, T + "StartTimeInMinutes", "480")
    sub(period, T + "EndTimeInMinutes", "1020")


service = operation(GetUserAvailability, request_element="GetUserAvailabilityRequest")
