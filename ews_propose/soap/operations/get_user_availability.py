"""GetUserAvailability: free/busy for users and rooms over a window, each mailbox's
working hours, and meeting time suggestions (SuggestionsViewOptions, rated by
rules/suggestions.py)."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from ...rules import suggestions as S
from ...rules.availability import WORKING_HOURS, merged_free_busy
from ...rules.zones import windows_id
from ..context import EwsRequest
from ..errors import EwsFault
from ..items.vocabulary import FREE_BUSY
from ..timezones import serializable_zone, serializable_zone_xml
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
    suggestions_el = request.find(T + "SuggestionsViewOptions")
    if options is None and suggestions_el is None:
        raise SchemaViolation("GetUserAvailability needs FreeBusyViewOptions, SuggestionsViewOptions or both.",
                              request)
    suggesting = _suggestion_options(suggestions_el, zone) if suggestions_el is not None else None
    root = etree.Element(M + "GetUserAvailabilityResponse", nsmap=RESPONSE_NSMAP)
    if options is not None:
        _free_busy(req, root, options, zone, addresses)
    if suggesting is not None:
        _suggestions(req, root, suggesting, zone, addresses)
    return root


def _window(el, what: str, zone):
    if el is None or el.find(T + "StartTime") is None or el.find(T + "EndTime") is None:
        raise SchemaViolation(f"{what} needs StartTime and EndTime.", el)
    with reading_in(zone):
        start = parse_datetime(el.find(T + "StartTime"))
        end = parse_datetime(el.find(T + "EndTime"))
    if end <= start:
        raise EwsFault("ErrorInvalidTimeInterval", "The EndTime of the time window must be after its StartTime.")
    if end - start > MAX_WINDOW:
        raise EwsFault("ErrorTimeIntervalTooBig",
                       "The time window is too long: availability can be asked for at most 42 days at once.")
    return start, end


QUALITIES = {"Excellent": S.EXCELLENT, "Good": S.GOOD, "Fair": S.FAIR, "Poor": S.POOR}
QUALITY_NAMES = {v: k for k, v in QUALITIES.items()}


def _suggestion_options(el, zone) -> S.Options:
    start, end = _window(el.find(T + "DetailedSuggestionsWindow"), "SuggestionsViewOptions/DetailedSuggestionsWindow",
                         zone)

    def number(name: str, default: int, low: int, high: int) -> int:
        found = el.find(T + name)
        return parse_int(found, low, high) if found is not None else default

    quality_el = el.find(T + "MinimumSuggestionQuality")
    return S.Options(
        window_start=start, window_end=end,
        duration=timedelta(minutes=number("MeetingDurationInMinutes", 30, 30, 1440)),
        good_threshold=number("GoodThreshold", 25, 1, 49),
        max_results_by_day=number("MaximumResultsByDay", 10, 0, 48),
        max_non_work_results_by_day=number("MaximumNonWorkHourResultsByDay", 0, 0, 48),
        minimum_quality=parse_enum(quality_el, quality_el.text, QUALITIES, "MinimumSuggestionQuality")
        if quality_el is not None else S.FAIR,
    )


def _suggestions(req: EwsRequest, root, options: S.Options, zone, addresses: list[str]) -> None:
    schedules = [req.rules.schedule(a, options.window_start, options.window_end) for a in addresses]
    # Work time is the first mailbox's (the organizer's, as clients list it first).
    first = req.directory.get(addresses[0])
    hours = (first.working_hours if first is not None else None) or WORKING_HOURS
    days = S.suggest(schedules, options, zone, hours)
    holder = sub(root, M + "SuggestionsResponse")
    msg = sub(holder, M + "ResponseMessage", ResponseClass="Success")
    sub(msg, M + "ResponseCode", "NoError")
    array = sub(holder, M + "SuggestionDayResultArray")
    for day in days:
        result = sub(array, T + "SuggestionDayResult")
        sub(result, T + "Date", format_datetime(day.date))
        sub(result, T + "DayQuality", QUALITY_NAMES[day.quality])
        listed = sub(result, T + "SuggestionArray")
        for s in day.suggestions:
            el = sub(listed, T + "Suggestion")
            sub(el, T + "MeetingTime", format_datetime(s.start))
            sub(el, T + "IsWorkTime", format_bool(s.is_work_time))
            sub(el, T + "SuggestionQuality", QUALITY_NAMES[s.quality])
            conflicts = sub(el, T + "AttendeeConflictDataArray")
            for availability in s.availability:
                if availability is None:
                    sub(conflicts, T + "UnknownAttendeeConflictData")
                else:
                    data = sub(conflicts, T + "IndividualAttendeeConflictData")
                    sub(data, T + "BusyType", FREE_BUSY.get(availability, "Busy"))


def _working_hours(req: EwsRequest, fb, address: str) -> None:
    mailbox = req.directory.get(address)
    hours = (mailbox.working_hours if mailbox is not None else None) or WORKING_HOURS
    xml = ("<t:WorkingHours xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">"
           + serializable_zone_xml(windows_id(hours.zone))
           + "<t:WorkingPeriodArray><t:WorkingPeriod><t:DayOfWeek>"
           + " ".join(d.capitalize() for d in hours.days) + "</t:DayOfWeek>"
           + f"<t:StartTimeInMinutes>{_minutes(hours.start)}</t:StartTimeInMinutes>"
           + f"<t:EndTimeInMinutes>{_minutes(hours.end)}</t:EndTimeInMinutes>"
           + "</t:WorkingPeriod></t:WorkingPeriodArray></t:WorkingHours>")
    fb.append(etree.fromstring(xml))


def _minutes(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:5])


def _free_busy(req: EwsRequest, root, options, zone, addresses: list[str]) -> None:
    window = options.find(T + "TimeWindow")
    if window is None:
        raise SchemaViolation("FreeBusyViewOptions needs a TimeWindow with StartTime and EndTime.", options)
    start, end = _window(window, "FreeBusyViewOptions/TimeWindow", zone)
    interval_el = options.find(T + "MergedFreeBusyIntervalInMinutes")
    interval = timedelta(minutes=parse_int(interval_el, 5, 1440) if interval_el is not None else 30)
    view_el = options.find(T + "RequestedView")
    # RequestedView is optional; without it, FreeBusy (the EWS Managed API's default).
    view = parse_enum(view_el, view_el.text, VIEWS, "RequestedView") if view_el is not None else "FreeBusy"

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
                # In the requester's time zone, with its offset, as the operation's page says
                # and its example shows (2006-10-16T06:00:00-07:00).
                sub(ev, T + "StartTime", _in_zone(e.start, zone))
                sub(ev, T + "EndTime", _in_zone(e.end, zone))
                sub(ev, T + "BusyType", FREE_BUSY.get(e.busy_type, "Busy"))
                if view.startswith("Detailed"):
                    details = sub(ev, T + "CalendarEventDetails")
                    sub(details, T + "ID", e.item_id)
                    # Private items show only their time, as Exchange shows them to others.
                    sub(details, T + "Subject", "" if e.is_private else e.subject)
                    sub(details, T + "Location", "" if e.is_private else e.location)
                    sub(details, T + "IsMeeting", format_bool(e.is_meeting))
                    sub(details, T + "IsRecurring", format_bool(e.is_recurring))
                    sub(details, T + "IsException", format_bool(e.is_exception))
                    sub(details, T + "IsReminderSet", format_bool(e.reminder_is_set))
                    sub(details, T + "IsPrivate", format_bool(e.is_private))
        if view != "MergedOnly":
            _working_hours(req, fb, address)


def _in_zone(value, zone) -> str:
    local = value.astimezone(zone)
    # UTC keeps EWS's "Z"; any other zone writes its offset.
    return format_datetime(value) if not local.utcoffset() else local.replace(microsecond=0).isoformat()


service = operation(GetUserAvailability, request_element="GetUserAvailabilityRequest")
