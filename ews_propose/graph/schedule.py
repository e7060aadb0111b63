"""``POST /me/calendar/getSchedule`` and ``POST /me/findMeetingTimes``: free/busy of users
and rooms from the same schedules as EWS GetUserAvailability (``MeetingRules.schedule``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from ..rules import clock
from ..rules.availability import WORKING_HOURS, WorkingHours, merged_free_busy, suggest_times
from ..rules.zones import windows_id
from . import ids
from .common import ctx_of, read_body, send_json, target
from .errors import GraphError
from .models import FindMeetingTimesBody, GetScheduleBody
from .shapes import SHOW_AS
from .timezones import date_time_time_zone, parse

MAX_SCHEDULES = 100  # as GetUserAvailability
MAX_WINDOW = timedelta(days=42)


def working_hours_of(ctx, address: str) -> WorkingHours:
    """The mailbox's working hours: the directory TOML's ``working_hours``, else the default."""
    mailbox = ctx.directory.get(address)
    return (mailbox.working_hours if mailbox is not None else None) or WORKING_HOURS


def _working_hours(ctx, address: str) -> dict[str, Any]:
    """The mailbox's working hours as EWS GetUserAvailability gives them; the zone by its
    Windows name, as Graph names it."""
    hours = working_hours_of(ctx, address)
    return {"daysOfWeek": list(hours.days), "startTime": hours.start + ".0000000",
            "endTime": hours.end + ".0000000", "timeZone": {"name": windows_id(hours.zone)}}


class GetSchedule:
    def on_post(self, req, resp, user=None):
        ctx = ctx_of(req)
        target(ctx, user)
        body = read_body(req, GetScheduleBody)
        start = parse(body.start_time.date_time, body.start_time.time_zone)
        end = parse(body.end_time.date_time, body.end_time.time_zone)
        if end <= start:
            raise GraphError(400, "ErrorInvalidTimeInterval", "endTime must be after startTime.")
        if end - start > MAX_WINDOW:
            raise GraphError(400, "ErrorTimeIntervalTooBig", "The time window can be at most 42 days.")
        if not body.schedules or len(body.schedules) > MAX_SCHEDULES:
            raise GraphError(400, "ErrorInvalidParameter",
                             f"schedules must name between 1 and {MAX_SCHEDULES} mailboxes.")
        interval = timedelta(minutes=body.availability_view_interval)
        where = ctx.out_zone
        value = []
        for address in body.schedules:
            events = ctx.rules.schedule(address, start, end)
            if events is None:
                value.append({"scheduleId": address, "availabilityView": "", "scheduleItems": [],
                              "error": {"message": f"Unable to resolve e-mail address {address} to a mailbox.",
                                        "responseCode": "ErrorMailRecipientNotFound"}})
                continue
            items = []
            for e in events:
                entry: dict[str, Any] = {
                    "isPrivate": e.is_private,
                    "status": SHOW_AS.get(e.busy_type, "busy"),
                }
                if not e.is_private:  # private items show their time only, as in EWS
                    entry.update({"subject": e.subject, "location": e.location})
                entry.update({
                    "isMeeting": e.is_meeting, "isRecurring": e.is_recurring, "isException": e.is_exception,
                    "isReminderSet": e.reminder_is_set,
                    "start": date_time_time_zone(e.start, where),
                    "end": date_time_time_zone(e.end, where),
                })
                if e.item_id and address.lower() == ctx.me.smtp.lower():
                    entry["id"] = ids.rest_id(e.item_id)
                items.append(entry)
            value.append({"scheduleId": address, "availabilityView": merged_free_busy(events, start, end, interval),
                          "scheduleItems": items, "workingHours": _working_hours(ctx, address)})
        send_json(req, resp, {"@odata.context": f"{ctx.service_root}/$metadata#Collection("
                              f"microsoft.graph.scheduleInformation)", "value": value})


_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$", re.IGNORECASE)
_REASON = {
    100.0: "Suggested because it is one of the nearest times when all attendees are available.",
}


# msgraph-sdk (Python) sends a timedelta as str() does ("1:00:00", "1 day, 2:00:00");
# .NET clients may send a TimeSpan ("1.02:00:00"). Both are read beside ISO 8601.
_CLOCK = re.compile(r"^(?:(?P<d>\d+)(?: days?, |\.))?(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.\d+)?$")


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip()) or _CLOCK.match(text.strip())
    if not match or not any(match.groupdict().values()):
        raise GraphError(400, "ErrorInvalidRequest", f"meetingDuration '{text}' is not a duration "
                         f"(ISO 8601 such as PT1H, or 1:00:00).")
    parts = {k: int(v or 0) for k, v in match.groupdict().items()}
    value = timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])
    if value <= timedelta(0) or value > timedelta(days=1):
        raise GraphError(400, "ErrorInvalidRequest", "meetingDuration must be more than zero and at most a day.")
    return value


class FindMeetingTimes:
    """``POST /me/findMeetingTimes``: suggestions from the same schedules as getSchedule,
    ranked by the rules' ``suggest_times``."""

    def on_post(self, req, resp, user=None):
        ctx = ctx_of(req)
        me = target(ctx, user)
        body = read_body(req, FindMeetingTimesBody, empty_ok=True)
        duration = _duration(body.meeting_duration)
        constraint = body.time_constraint
        if constraint is not None and constraint.time_slots:
            windows = [(parse(s.start.date_time, s.start.time_zone), parse(s.end.date_time, s.end.time_zone))
                       for s in constraint.time_slots]
        else:  # no window: the next two days
            now = clock.now()
            windows = [(now, now + timedelta(days=2))]
        if any(end <= start for start, end in windows) or sum((e - s for s, e in windows), timedelta()) > MAX_WINDOW:
            raise GraphError(400, "ErrorInvalidTimeInterval", "Each time slot must end after it starts, "
                             "and the slots may cover at most 42 days.")
        first, last = min(s for s, _ in windows), max(e for _, e in windows)
        people = {me.smtp: ("required", me.name)}
        for a in body.attendees:
            people.setdefault(a.email_address.address, (a.type, a.email_address.name or a.email_address.address))
        locations = body.location_constraint.locations if body.location_constraint else []
        for place in locations:
            if place.resolve_availability and place.location_email_address:
                people.setdefault(place.location_email_address, ("resource", place.display_name))
        schedules = {smtp: ctx.rules.schedule(smtp, first, last) for smtp in people}
        counted = [smtp for smtp, (kind, _) in people.items()
                   if kind != "optional" and not (smtp == me.smtp and body.is_organizer_optional)]
        found = suggest_times(schedules, windows, duration, counted,
                              minimum_confidence=body.minimum_attendee_percentage,
                              max_candidates=body.max_candidates,
                              working_hours_only=(constraint.activity_domain if constraint else "work") == "work",
                              hours=working_hours_of(ctx, me.smtp))
        where = ctx.out_zone
        suggestions = []
        for s in found:
            entry: dict[str, Any] = {
                "confidence": s.confidence,
                "organizerAvailability": s.availability[me.smtp],
                "attendeeAvailability": [
                    {"attendee": {"type": kind, "emailAddress": {"address": smtp, "name": name}},
                     "availability": s.availability[smtp]}
                    for smtp, (kind, name) in people.items() if smtp != me.smtp],
                "locations": [{"displayName": p.display_name,
                               **({"locationEmailAddress": p.location_email_address}
                                  if p.location_email_address else {})} for p in locations],
                "meetingTimeSlot": {"start": date_time_time_zone(s.start, where),
                                    "end": date_time_time_zone(s.end, where)},
            }
            if body.return_suggestion_reasons:
                entry["suggestionReason"] = _REASON.get(s.confidence, "Suggested because it is one of the "
                                                        "nearest times when most attendees are available.")
            suggestions.append(entry)
        reason = "" if suggestions else _empty_reason(schedules, me.smtp, windows, duration,
                                                            working_hours_of(ctx, me.smtp))
        send_json(req, resp, {"@odata.context": f"{ctx.service_root}/$metadata#microsoft.graph."
                              f"meetingTimeSuggestionsResult", "emptySuggestionsReason": reason,
                              "meetingTimeSuggestions": suggestions})


def _empty_reason(schedules: dict, organizer: str, windows: list, duration: timedelta,
                  hours: WorkingHours = WORKING_HOURS) -> str:
    if any(events is None for events in schedules.values()):
        return "attendeesUnavailableOrUnknown"
    if not suggest_times({}, windows, duration, [], hours=hours):
        return "unknown"  # no candidate slot at all inside the windows and working hours
    if not suggest_times({organizer: schedules[organizer]}, windows, duration, [organizer], 100.0, hours=hours):
        return "organizerUnavailable"
    return "attendeesUnavailable"
