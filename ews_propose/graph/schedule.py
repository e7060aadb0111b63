"""``POST /me/calendar/getSchedule``: free/busy of users and rooms from the same
schedules as EWS GetUserAvailability (``MeetingRules.schedule``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..rules.availability import WORKING_HOURS, merged_free_busy
from . import ids
from .common import ctx_of, read_body, send_json, target
from .errors import GraphError
from .models import GetScheduleBody
from .shapes import SHOW_AS
from .timezones import date_time_time_zone, parse

MAX_SCHEDULES = 100  # as GetUserAvailability
MAX_WINDOW = timedelta(days=42)


def _working_hours() -> dict[str, Any]:
    return {"daysOfWeek": list(WORKING_HOURS.days), "startTime": WORKING_HOURS.start + ".0000000",
            "endTime": WORKING_HOURS.end + ".0000000", "timeZone": {"name": WORKING_HOURS.zone}}


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
                    "isMeeting": e.is_meeting, "isRecurring": False, "isException": False,
                    "isReminderSet": e.reminder_is_set,
                    "start": date_time_time_zone(e.start, where),
                    "end": date_time_time_zone(e.end, where),
                })
                if e.item_id and address.lower() == ctx.me.smtp.lower():
                    entry["id"] = ids.rest_id(e.item_id)
                items.append(entry)
            value.append({"scheduleId": address, "availabilityView": merged_free_busy(events, start, end, interval),
                          "scheduleItems": items, "workingHours": _working_hours()})
        send_json(req, resp, {"@odata.context": f"{ctx.service_root}/$metadata#Collection("
                              f"microsoft.graph.scheduleInformation)", "value": value})
