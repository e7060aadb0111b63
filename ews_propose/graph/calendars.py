"""``/me/calendar``, ``/me/calendars``, ``/me/calendarGroups``: each mailbox has one
calendar, in one calendar group."""

from __future__ import annotations

from typing import Any

from ..directory import Mailbox
from . import ids
from .common import Ctx, ctx_of, send_json, target
from .errors import not_found
from .events import calendar_id, group_id


def calendar_json(mailbox: Mailbox) -> dict[str, Any]:
    return {
        "id": calendar_id(mailbox.smtp),
        "name": "Calendar",
        "color": "auto",
        "hexColor": "",
        "isDefaultCalendar": True,
        "changeKey": ids.rest_id(calendar_id(mailbox.smtp))[:16],
        "canShare": True,
        "canViewPrivateItems": True,
        "canEdit": True,
        "allowedOnlineMeetingProviders": [],
        "defaultOnlineMeetingProvider": "none",
        "isTallyingResponses": True,
        "isRemovable": False,
        "owner": {"name": mailbox.name, "address": mailbox.smtp},
    }


class DefaultCalendar:
    def on_get(self, req, resp, user=None):
        ctx: Ctx = ctx_of(req)
        mailbox = target(ctx, user)
        payload = {"@odata.context": ctx.context_url(mailbox, "calendar/$entity")}
        payload.update(calendar_json(mailbox))
        send_json(req, resp, payload)


class CalendarsCollection:
    def on_get(self, req, resp, user=None):
        ctx: Ctx = ctx_of(req)
        mailbox = target(ctx, user)
        send_json(req, resp, {"@odata.context": ctx.context_url(mailbox, "calendars"),
                              "value": [calendar_json(mailbox)]})


class CalendarItem:
    def on_get(self, req, resp, calendar_id, user=None):
        ctx: Ctx = ctx_of(req)
        mailbox = target(ctx, user)
        if calendar_id != calendar_json(mailbox)["id"]:
            raise not_found()
        payload = {"@odata.context": ctx.context_url(mailbox, "calendars/$entity")}
        payload.update(calendar_json(mailbox))
        send_json(req, resp, payload)


class GroupsCollection:
    def on_get(self, req, resp, user=None):
        ctx: Ctx = ctx_of(req)
        mailbox = target(ctx, user)
        group = {"id": group_id(mailbox.smtp), "name": "My Calendars",
                 "classId": "0006f0b7-0000-0000-c000-000000000046", "changeKey": group_id(mailbox.smtp)[:16]}
        send_json(req, resp, {"@odata.context": ctx.context_url(mailbox, "calendarGroups"), "value": [group]})


class GroupCalendars:
    def on_get(self, req, resp, group_id, user=None):
        ctx: Ctx = ctx_of(req)
        mailbox = target(ctx, user)
        if group_id != _group(mailbox):
            raise not_found()
        send_json(req, resp, {"@odata.context": ctx.context_url(mailbox, f"calendarGroups('{group_id}')/calendars"),
                              "value": [calendar_json(mailbox)]})


def _group(mailbox: Mailbox) -> str:
    return group_id(mailbox.smtp)
