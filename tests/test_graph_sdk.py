"""Seed 000's walkthrough played by Microsoft's own Python Graph SDK (msgraph-sdk,
unchanged): its request adapter's base_url points at the emulator, a token provider
hands it the directory's bearer token."""

from __future__ import annotations

import asyncio

import pytest
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.attendee import Attendee
from msgraph.generated.models.attendee_type import AttendeeType
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.event_message_request import EventMessageRequest
from msgraph.generated.models.event_message_response import EventMessageResponse
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.location import Location
from msgraph.generated.models.meeting_message_type import MeetingMessageType
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.response_type import ResponseType
from msgraph.generated.models.time_slot import TimeSlot
from msgraph.generated.users.item.events.item.event_item_request_builder import (
    EventItemRequestBuilder,
)
from msgraph.generated.users.item.events.item.tentatively_accept.tentatively_accept_post_request_body import (
    TentativelyAcceptPostRequestBody,
)
from msgraph.generated.users.item.messages.messages_request_builder import MessagesRequestBuilder
from msgraph.graph_request_adapter import GraphRequestAdapter

from ews_propose.server import EmulatorServer, ServerConfig

from .graph import ADELE, ALEX
from .stores import store_for

PST = "Pacific Standard Time"


class DirectoryToken(AccessTokenProvider):
    def __init__(self, token: str) -> None:
        self.token = token

    async def get_authorization_token(self, uri, additional_authentication_context=None) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator(["127.0.0.1", "localhost"])


def sdk_client(graph_url: str, token: str) -> GraphServiceClient:
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(DirectoryToken(token)))
    adapter.base_url = graph_url
    return GraphServiceClient(request_adapter=adapter)


def prefer_pst(config: RequestConfiguration | None = None) -> RequestConfiguration:
    config = config or RequestConfiguration()
    config.headers.add("Prefer", f'outlook.timezone="{PST}"')
    return config


@pytest.fixture
def graph_url(tmp_path):
    server = EmulatorServer(ServerConfig(port=0, store=store_for(tmp_path, "store.sqlite3"))).start()
    yield server.graph_url
    server.stop()


def lunch() -> Event:
    return Event(
        subject="Let's go for lunch",
        body=ItemBody(content_type=BodyType.Html, content="Does noon work for you?"),
        start=DateTimeTimeZone(date_time="2019-08-15T12:00:00", time_zone=PST),
        end=DateTimeTimeZone(date_time="2019-08-15T14:00:00", time_zone=PST),
        allow_new_time_proposals=True,
        location=Location(display_name="Harry's Bar"),
        attendees=[Attendee(email_address=EmailAddress(address="AdeleV@contoso.com", name="Adele Vance"),
                            type=AttendeeType.Required)],
    )


def test_seed_000_with_the_python_sdk(graph_url):
    asyncio.run(_walkthrough(graph_url))


async def _walkthrough(graph_url: str) -> None:
    alex, adele = sdk_client(graph_url, ALEX[1]), sdk_client(graph_url, ADELE[1])

    # 1. POST /me/events
    event = await alex.me.events.post(lunch(), request_configuration=prefer_pst())
    assert event.subject == "Let's go for lunch" and event.allow_new_time_proposals is True
    assert (event.start.date_time, event.start.time_zone) == ("2019-08-15T12:00:00.0000000", PST)
    assert (event.end.date_time, event.end.time_zone) == ("2019-08-15T14:00:00.0000000", PST)
    assert event.response_status.response == ResponseType.Organizer
    assert event.response_status.time.year == 1
    [invitee] = event.attendees
    assert invitee.status.response == ResponseType.None_ and invitee.type == AttendeeType.Required
    assert invitee.email_address.address == "AdeleV@contoso.com"
    assert event.organizer.email_address.name == "Alex Wilber"
    assert event.location.display_name == "Harry's Bar" and event.location.unique_id == "Harry's Bar"
    assert event.change_key and event.odata_type in (None, "#microsoft.graph.event")

    # 2. Adele's eventMessageRequest, its event, and her tentative reply with a proposal
    query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
        expand=["microsoft.graph.eventMessage/event"])
    inbox = await adele.me.messages.get(request_configuration=RequestConfiguration(query_parameters=query))
    [request] = inbox.value
    assert isinstance(request, EventMessageRequest)
    assert request.allow_new_time_proposals is True
    assert request.meeting_message_type == MeetingMessageType.MeetingRequest
    her_event = request.event
    assert her_event.i_cal_u_id == event.i_cal_u_id
    body = TentativelyAcceptPostRequestBody(
        comment="Can you make the next day instead?", send_response=True,
        proposed_new_time=TimeSlot(start=DateTimeTimeZone(date_time="2019-08-16T12:00:00", time_zone=PST),
                                   end=DateTimeTimeZone(date_time="2019-08-16T14:00:00", time_zone=PST)))
    assert await adele.me.events.by_event_id(her_event.id).tentatively_accept.post(body) is None

    # 3. Alex's newest message: the eventMessageResponse
    top1 = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(top=1)
    page = await alex.me.messages.get(request_configuration=prefer_pst(RequestConfiguration(query_parameters=top1)))
    [reply] = page.value
    assert page.odata_next_link and "$skip=1" in page.odata_next_link
    assert isinstance(reply, EventMessageResponse)
    assert reply.subject == "New Time Proposed: Let's go for lunch"
    assert reply.sender.email_address.name == "Adele Vance"
    assert reply.response_type == ResponseType.TentativelyAccepted
    assert reply.meeting_message_type == MeetingMessageType.MeetingTenativelyAccepted
    assert (reply.proposed_new_time.start.date_time, reply.proposed_new_time.start.time_zone) == (
        "2019-08-16T12:00:00.0000000", PST)
    assert reply.proposed_new_time.end.date_time == "2019-08-16T14:00:00.0000000"
    assert reply.start_date_time.date_time == "2019-08-15T12:00:00.0000000"
    assert reply.body_preview == "Can you make the next day instead?"

    # 4. The organizer's event with $select shows the proposal on the attendee
    select = EventItemRequestBuilder.EventItemRequestBuilderGetQueryParameters(
        select=["subject", "allowNewTimeProposals", "start", "end", "attendees", "organizer"])
    shown = await alex.me.events.by_event_id(event.id).get(
        request_configuration=prefer_pst(RequestConfiguration(query_parameters=select)))
    [entry] = shown.attendees
    assert entry.status.response == ResponseType.TentativelyAccepted
    assert entry.proposed_new_time.start.date_time == "2019-08-16T12:00:00.0000000"
    assert shown.body is None and shown.created_date_time is None  # not selected

    # 5. Alex moves the meeting to the proposal
    moved = await alex.me.events.by_event_id(event.id).patch(
        Event(start=entry.proposed_new_time.start, end=entry.proposed_new_time.end),
        request_configuration=prefer_pst())
    assert moved.start.date_time == "2019-08-16T12:00:00.0000000"
    [reset] = moved.attendees
    assert reset.status.response == ResponseType.NotResponded
    assert reset.status.time.year == 4501 and reset.proposed_new_time is None
    latest = (await adele.me.messages.get()).value[0]
    assert isinstance(latest, EventMessageRequest) and latest.meeting_request_type.value == "fullUpdate"


def test_sdk_sees_graph_errors(graph_url):
    async def run():
        adele = sdk_client(graph_url, ADELE[1])
        with pytest.raises(ODataError) as caught:
            await adele.me.events.by_event_id("AUVQVMwyz9MdrYybqYSTEwFaFRRhRubqAtP9").get()
        assert caught.value.response_status_code == 404
        assert caught.value.error.code == "ErrorItemNotFound"
        stranger = sdk_client(graph_url, "not-a-token-of-anyone")
        with pytest.raises((ODataError, APIError)) as caught:
            await stranger.me.get()
        assert caught.value.response_status_code == 401

    asyncio.run(run())
