"""msgraph-sdk, unchanged, over the rest of the surface: every answer it gets must parse
into its own models (calendarView, getSchedule, findMeetingTimes, translateExchangeIds,
calendars and groups, $filter/$orderby, PATCH attendees, cancel, DELETE)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.attendee import Attendee
from msgraph.generated.models.attendee_base import AttendeeBase
from msgraph.generated.models.attendee_type import AttendeeType
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.event_message import EventMessage
from msgraph.generated.models.exchange_id_format import ExchangeIdFormat
from msgraph.generated.models.free_busy_status import FreeBusyStatus
from msgraph.generated.models.time_constraint import TimeConstraint
from msgraph.generated.models.time_slot import TimeSlot
from msgraph.generated.users.item.calendar.get_schedule.get_schedule_post_request_body import (
    GetSchedulePostRequestBody,
)
from msgraph.generated.users.item.calendar_view.calendar_view_request_builder import (
    CalendarViewRequestBuilder,
)
from msgraph.generated.users.item.events.item.cancel.cancel_post_request_body import (
    CancelPostRequestBody,
)
from msgraph.generated.users.item.find_meeting_times.find_meeting_times_post_request_body import (
    FindMeetingTimesPostRequestBody,
)
from msgraph.generated.users.item.messages.messages_request_builder import MessagesRequestBuilder
from msgraph.generated.users.item.translate_exchange_ids.translate_exchange_ids_post_request_body import (
    TranslateExchangeIdsPostRequestBody,
)

from .graph import ADELE, ALEX, MEGAN
from .test_graph_sdk import graph_url, sdk_client  # noqa: F401

MONDAY = "2026-12-07T10:00:00"


def utc(text: str) -> DateTimeTimeZone:
    return DateTimeTimeZone(date_time=text, time_zone="UTC")


def person(address: str) -> Attendee:
    return Attendee(email_address=EmailAddress(address=address), type=AttendeeType.Required)


def test_sdk_over_the_rest_of_the_surface(graph_url):  # noqa: F811
    asyncio.run(_breadth(graph_url))


async def _breadth(root: str) -> None:
    alex, adele, megan = (sdk_client(root, t) for _, t in (ALEX, ADELE, MEGAN))
    event = await alex.me.calendar.events.post(Event(
        subject="Planning", start=utc(MONDAY), end=utc("2026-12-07T11:00:00"),
        attendees=[person("AdeleV@contoso.com")]))
    assert event.show_as == FreeBusyStatus.Busy

    # calendarView with the SDK's own query parameters
    window = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
        start_date_time="2026-12-07T00:00:00Z", end_date_time="2026-12-08T00:00:00Z")
    view = await alex.me.calendar_view.get(RequestConfiguration(query_parameters=window))
    assert [e.subject for e in view.value] == ["Planning"]

    # calendars and groups
    calendars = await alex.me.calendars.get()
    groups = await alex.me.calendar_groups.get()
    assert calendars.value[0].is_default_calendar and groups.value[0].name
    in_group = await alex.me.calendar_groups.by_calendar_group_id(groups.value[0].id).calendars.get()
    assert in_group.value[0].id == calendars.value[0].id

    # getSchedule
    schedule = await alex.me.calendar.get_schedule.post(GetSchedulePostRequestBody(
        schedules=["AdeleV@contoso.com", "Rainier@contoso.com"], start_time=utc("2026-12-07T09:00:00"),
        end_time=utc("2026-12-07T12:00:00"), availability_view_interval=60))
    adele_info = schedule.value[0]
    assert adele_info.schedule_id == "AdeleV@contoso.com" and adele_info.availability_view == "010"
    assert adele_info.schedule_items[0].status == FreeBusyStatus.Tentative
    assert adele_info.working_hours.start_time == dt.time(8, 0)

    # findMeetingTimes: the SDK sends PascalCase keys, a timedelta duration, False defaults
    result = await alex.me.find_meeting_times.post(FindMeetingTimesPostRequestBody(
        attendees=[AttendeeBase(email_address=EmailAddress(address="AdeleV@contoso.com"), type=AttendeeType.Required)],
        time_constraint=TimeConstraint(time_slots=[TimeSlot(start=utc("2026-12-07T09:00:00"),
                                                            end=utc("2026-12-07T12:00:00"))]),
        meeting_duration=dt.timedelta(hours=1), minimum_attendee_percentage=100.0))
    starts = [s.meeting_time_slot.start.date_time for s in result.meeting_time_suggestions]
    assert starts == ["2026-12-07T09:00:00.0000000", "2026-12-07T11:00:00.0000000"]
    assert result.meeting_time_suggestions[0].confidence == 100.0

    # translateExchangeIds
    translated = await alex.me.translate_exchange_ids.post(TranslateExchangeIdsPostRequestBody(
        input_ids=[event.id], source_id_type=ExchangeIdFormat.RestId, target_id_type=ExchangeIdFormat.EwsId))
    assert translated.value[0].source_id == event.id and translated.value[0].target_id

    # $filter with isof, $count
    query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
        filter="isof('microsoft.graph.eventMessageRequest')", count=True)
    found = await adele.me.messages.get(RequestConfiguration(query_parameters=query))
    assert found.odata_count == 1 and isinstance(found.value[0], EventMessage)

    # PATCH attendees: Megan is invited, Adele's invitation is cancelled
    await alex.me.events.by_event_id(event.id).patch(Event(attendees=[person("MeganB@contoso.com")]))
    assert (await megan.me.messages.get()).value[0].subject == "Planning"
    newest = (await adele.me.messages.get()).value[0]
    assert newest.subject == "Canceled: Planning" and newest.meeting_message_type.value == "meetingCancelled"

    # cancel, then DELETE
    await alex.me.events.by_event_id(event.id).cancel.post(CancelPostRequestBody(comment="Off."))
    assert (await megan.me.messages.get()).value[0].body_preview == "Off."
    await alex.me.events.by_event_id(event.id).delete()
    with pytest.raises(Exception) as caught:
        await alex.me.calendar.events.by_event_id(event.id).get()
    assert getattr(caught.value, "response_status_code", None) == 404
