"""``/me/events`` and its path forms (``/me/calendar/events``, ``/me/calendars/{id}/events``,
``/me/calendarGroups/{id}/calendars/{id}/events`` ...), ``/me/calendarView``: the EWS
calendar items of the same mailboxes, as Graph events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import falcon

from ..rules import engine as R
from ..rules.ids import folder_id
from ..rules.model import CALENDAR, CALENDAR_ITEM, OPTIONAL, ORGANIZER, RESOURCE, Attendee, Item
from . import ids, query, shapes
from .common import (
    Ctx,
    apply_select,
    ctx_of,
    int_param,
    next_link,
    no_content,
    read_body,
    selected,
    send_json,
    target,
)
from .errors import GraphError, not_found
from .models import EventFields
from .timezones import date_time_time_zone, parse, utc_text, zone

GROUP_FOLDER = "calendargroup"  # the one calendar group every mailbox has ("Calendars")
_ROLE_IN = {"required": "required", "optional": OPTIONAL, "resource": RESOURCE}
_ROLE_OUT = {"required": "required", OPTIONAL: "optional", RESOURCE: "resource"}
_SENSITIVITY_IN = {"normal": "Normal", "personal": "Personal", "private": "Private", "confidential": "Confidential"}
EVENT_TYPE = "microsoft.graph.event"
LIST_OPTIONS = frozenset({"$select", "$top", "$skip", "$filter", "$orderby", "$count"})


def calendar_id(smtp: str) -> str:
    return ids.rest_id(folder_id(smtp, CALENDAR))


def group_id(smtp: str) -> str:
    return ids.rest_id(folder_id(smtp, GROUP_FOLDER))


# --- the event shape ----------------------------------------------------------------------

def event_json(item: Item, ctx: Ctx) -> dict[str, Any]:
    where = ctx.out_zone
    rest = ids.rest_id(item.id)
    organizer_view = item.my_response == ORGANIZER or item.is_organized_by(item.mailbox)
    attendees = []
    for a in item.attendees:
        entry: dict[str, Any] = {
            "type": _ROLE_OUT.get(a.role, "required"),
            "status": shapes.status(a.response, a.last_response_time),
        }
        if organizer_view and a.proposed_start is not None and a.proposed_end is not None:
            entry["proposedNewTime"] = {"start": date_time_time_zone(a.proposed_start, where),
                                        "end": date_time_time_zone(a.proposed_end, where)}
        entry["emailAddress"] = {"name": a.name or a.smtp, "address": a.smtp}
        attendees.append(entry)
    original_zone = item.time_zone or "UTC"
    return {
        "@odata.etag": f'W/"{item.change_key}"',
        "id": rest,
        "createdDateTime": utc_text(item.created),
        "lastModifiedDateTime": utc_text(item.received or item.created),
        "changeKey": item.change_key,
        "categories": list(item.categories),
        "transactionId": None,
        "originalStartTimeZone": original_zone,
        "originalEndTimeZone": original_zone,
        "iCalUId": item.uid,
        "uid": item.uid,
        "reminderMinutesBeforeStart": item.reminder_minutes,
        "isReminderOn": item.reminder_is_set,
        "hasAttachments": False,
        "subject": item.subject,
        "bodyPreview": shapes.preview(item.body, item.body_type),
        "importance": shapes.level(item.importance),
        "sensitivity": shapes.level(item.sensitivity),
        "isAllDay": item.is_all_day,
        "isCancelled": item.is_cancelled,
        "isOrganizer": organizer_view,
        "responseRequested": item.is_response_requested,
        "seriesMasterId": None,
        "showAs": shapes.SHOW_AS.get(item.free_busy, "busy"),
        "type": "singleInstance",
        "webLink": f"https://outlook.office365.com/owa/?itemid={quote(rest, safe='')}&exvsurl=1&path=/calendar/item",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": False,
        "onlineMeetingProvider": "unknown",
        "allowNewTimeProposals": item.allow_new_time_proposal,
        "isDraft": False,
        "hideAttendees": False,
        "recurrence": None,
        "onlineMeeting": None,
        "responseStatus": shapes.status(item.my_response if not organizer_view else ORGANIZER, None),
        "body": shapes.body(item.body, item.body_type, ctx.body_type),
        "start": date_time_time_zone(item.start, where),
        "end": date_time_time_zone(item.end, where),
        "location": shapes.location(item.location),
        "locations": [shapes.location(item.location)] if item.location else [],
        "attendees": attendees,
        "organizer": shapes.email(item.organizer),
    }


def render(req: falcon.Request, ctx: Ctx, item: Item) -> dict[str, Any]:
    payload = event_json(item, ctx)
    names = selected(req, EVENT_TYPE, payload)
    out = {"@odata.context": ctx.context_url(ctx.me, "events/$entity")}
    if names is not None:
        out["@odata.context"] = ctx.context_url(ctx.me, f"events({','.join(names)})/$entity")
    out.update(apply_select(payload, names, ("@odata.etag", "id")))
    return out


# --- addressing ---------------------------------------------------------------------------

def check_calendar(ctx: Ctx, smtp: str, calendar: str | None, group: str | None) -> None:
    """A ``/calendars/{id}`` or ``/calendarGroups/{id}`` segment must name this mailbox's
    calendar (the emulator has one calendar per mailbox, in one group)."""
    if calendar is not None and calendar != calendar_id(smtp):
        raise not_found()
    if group is not None and group != group_id(smtp):
        raise not_found()


def find_event(ctx: Ctx, user: str | None, event_id: str, calendar: str | None = None,
               group: str | None = None, scoped: bool = False) -> Item:
    mailbox = target(ctx, user)
    check_calendar(ctx, mailbox.smtp, calendar, group)
    item = ctx.rules.get_item(mailbox.smtp, ids.ews_id(event_id))
    if item.kind != CALENDAR_ITEM or (scoped and item.folder != CALENDAR):
        raise not_found()
    return item


def scoped(req: falcon.Request, calendar: str | None) -> bool:
    """Whether the path names a calendar (``/calendar/events``, ``/calendars/{id}/events``):
    then the event must be in it, not in Deleted Items."""
    return calendar is not None or "/calendar/events" in req.path


# --- writing ------------------------------------------------------------------------------

def _times(fields: EventFields) -> dict[str, datetime]:
    out = {}
    for name in ("start", "end"):
        value = getattr(fields, name)
        if value is not None:
            out[name] = parse(value.date_time, value.time_zone)
    return out


def _location(fields: EventFields) -> str | None:
    if fields.locations is not None and len(fields.locations) > 1:
        raise GraphError(400, "ErrorInvalidRequest", "An event has one location in this emulator; "
                         "locations with more than one entry is not supported.")
    if fields.location is not None:
        return fields.location.display_name
    if fields.locations is not None:
        return fields.locations[0].display_name if fields.locations else ""
    return None


def _common_changes(fields: EventFields) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    given = fields.given()
    if "subject" in given:
        changes["subject"] = fields.subject or ""
    if "body" in given and fields.body is not None:
        changes["body"] = fields.body.content
        changes["body_type"] = "HTML" if fields.body.content_type == "html" else "Text"
    changes.update(_times(fields))
    loc = _location(fields)
    if loc is not None:
        changes["location"] = loc
    simple = {
        "allow_new_time_proposals": "allow_new_time_proposal",
        "is_all_day": "is_all_day",
        "categories": "categories",
        "reminder_minutes_before_start": "reminder_minutes",
        "is_reminder_on": "reminder_is_set",
    }
    for graph_name, rule_name in simple.items():
        if graph_name in given and getattr(fields, graph_name) is not None:
            changes[rule_name] = getattr(fields, graph_name)
    if fields.show_as is not None:
        if fields.show_as not in shapes.SHOW_AS:
            raise GraphError(400, "ErrorInvalidRequest",
                             f"showAs '{fields.show_as}' is not supported by this emulator.")
        changes["free_busy"] = fields.show_as
    if fields.importance is not None:
        changes["importance"] = fields.importance.capitalize()
    if fields.sensitivity is not None:
        changes["sensitivity"] = _SENSITIVITY_IN[fields.sensitivity]
    return changes


def _attendees(fields: EventFields) -> list[Attendee]:
    return [Attendee(a.email_address.address, a.email_address.name or "", _ROLE_IN[a.type])
            for a in fields.attendees or []]


def create(ctx: Ctx, smtp: str, fields: EventFields) -> Item:
    if fields.start is None or fields.end is None:
        raise GraphError(400, "ErrorPropertyValidationFailure",
                         "At least one property failed validation: an event needs start and end.")
    for value in (fields.start, fields.end):
        zone(value.time_zone)
    changes = _common_changes(fields)
    new = R.NewItem(kind=CALENDAR_ITEM, attendees=_attendees(fields), time_zone=fields.start.time_zone or "UTC",
                    **changes)
    return ctx.rules.create_calendar_item(smtp, new, send=R.SEND_AND_SAVE)


# --- resources ----------------------------------------------------------------------------

class EventsCollection:
    """GET (list) and POST (create) on every events collection path form."""

    query_options = LIST_OPTIONS

    def on_get(self, req, resp, user=None, calendar_id=None, group_id=None):
        ctx = ctx_of(req)
        mailbox = target(ctx, user)
        check_calendar(ctx, mailbox.smtp, calendar_id, group_id)
        top = int_param(req, "$top", 10, low=0, high=1000)
        skip = int_param(req, "$skip", 0)
        items, _ = ctx.rules.list_folder(mailbox.smtp, CALENDAR, R.View())
        items = [i for i in items if i.kind == CALENDAR_ITEM]
        send_json(req, resp, listing(req, ctx, items, skip, top, "events"))

    def on_post(self, req, resp, user=None, calendar_id=None, group_id=None):
        ctx = ctx_of(req)
        mailbox = target(ctx, user)
        check_calendar(ctx, mailbox.smtp, calendar_id, group_id)
        fields = read_body(req, EventFields)
        item = create(ctx, mailbox.smtp, fields)
        resp.set_header("Location", f"{ctx.service_root}/users('{ids.user_id(mailbox.smtp)}')/events('{ids.rest_id(item.id)}')")
        payload = {"@odata.context": ctx.context_url(mailbox, "events/$entity")}
        payload.update(event_json(item, ctx))
        send_json(req, resp, payload, status=201)


def listing(req: falcon.Request, ctx: Ctx, items: list[Item], skip: int, top: int, tail: str) -> dict[str, Any]:
    names = selected(req, EVENT_TYPE, event_json(_blank(ctx), ctx))
    if req.get_param("$filter") or req.get_param("$orderby"):
        chosen = query.apply([event_json(i, ctx) for i in items], req.get_param("$filter"),
                             req.get_param("$orderby"))
        rendered, total = chosen[skip: skip + top], len(chosen)
    else:  # render only the page
        rendered, total = [event_json(i, ctx) for i in items[skip: skip + top]], len(items)
    out: dict[str, Any] = {"@odata.context": ctx.context_url(ctx.me, tail)}
    if req.get_param_as_bool("$count", default=False):
        out["@odata.count"] = total
    out["value"] = [apply_select(r, names, ("@odata.etag", "id")) for r in rendered]
    if skip + top < total:
        out["@odata.nextLink"] = next_link(req, ctx, skip + top)
    return out


def _blank(ctx: Ctx) -> Item:
    return Item(id="", mailbox=ctx.me.smtp, folder=CALENDAR, kind=CALENDAR_ITEM)


class EventItem:
    """GET, PATCH and DELETE of one event, under every path form."""

    query_options = frozenset({"$select"})

    def on_get(self, req, resp, event_id, user=None, calendar_id=None, group_id=None):
        ctx = ctx_of(req)
        item = find_event(ctx, user, event_id, calendar_id, group_id, scoped(req, calendar_id))
        send_json(req, resp, render(req, ctx, item))

    def on_patch(self, req, resp, event_id, user=None, calendar_id=None, group_id=None):
        ctx = ctx_of(req)
        item = find_event(ctx, user, event_id, calendar_id, group_id, scoped(req, calendar_id))
        fields = read_body(req, EventFields)
        for value in (fields.start, fields.end):
            if value is not None:
                zone(value.time_zone)
        changes = _common_changes(fields)
        if fields.attendees is not None:  # the new list: the rules invite and cancel
            changes["attendees"] = _attendees(fields)
        match = req.get_header("If-Match")
        change_key = None
        if match and match.strip() != "*":
            change_key = match.strip().removeprefix("W/").strip('"')
        # A stale If-Match is the rules' stale ChangeKey: 412 (errors.py).
        updated = ctx.rules.update_item(item.mailbox, item.id, change_key, changes,
                                        conflict=R.NEVER_OVERWRITE, send=R.SEND_AND_SAVE)
        payload = {"@odata.context": ctx.context_url(ctx.me, "events/$entity")}
        payload.update(event_json(updated, ctx))
        send_json(req, resp, payload)

    def on_delete(self, req, resp, event_id, user=None, calendar_id=None, group_id=None):
        ctx = ctx_of(req)
        item = find_event(ctx, user, event_id, calendar_id, group_id, scoped(req, calendar_id))
        ctx.rules.delete_item(item.mailbox, item.id, how=R.MOVE_TO_DELETED, send_cancellations=R.SEND_AND_SAVE)
        no_content(resp, 204)


class CalendarView:
    """``/me/calendarView?startDateTime=...&endDateTime=...``: events overlapping the window."""

    query_options = LIST_OPTIONS

    def on_get(self, req, resp, user=None):
        ctx = ctx_of(req)
        mailbox = target(ctx, user)
        bounds = []
        for name in ("startDateTime", "endDateTime"):
            raw = req.get_param(name)
            if not raw:
                raise GraphError(400, "ErrorInvalidParameter",
                                 "This request requires a time window specified by the query string "
                                 "parameters StartDateTime and EndDateTime.")
            bounds.append(parse(raw, None))
        if bounds[1] < bounds[0]:
            raise GraphError(400, "ErrorInvalidParameter", "endDateTime must not be before startDateTime.")
        top = int_param(req, "$top", 10, low=0, high=1000)
        skip = int_param(req, "$skip", 0)
        items = [i for i in ctx.rules.calendar_view(mailbox.smtp, CALENDAR, bounds[0], bounds[1])
                 if i.kind == CALENDAR_ITEM]
        send_json(req, resp, listing(req, ctx, items, skip, top, "calendarView"))
