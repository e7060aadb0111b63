"""exchangelib, unchanged, runs the whole propose-new-time round trip against the emulator."""

from __future__ import annotations

import datetime as dt

import pytest
from exchangelib import (
    BASIC,
    DELEGATE,
    Account,
    Attendee,
    CalendarItem,
    Configuration,
    Credentials,
    EWSDateTime,
    EWSTimeZone,
    Mailbox,
)
from exchangelib.errors import ErrorIrresolvableConflict
from exchangelib.items import MeetingRequest, MeetingResponse

from .ews import PASSWORDS

UTC = EWSTimeZone("UTC")
LUNCH = EWSDateTime(2026, 12, 1, 12, 0, tzinfo=UTC)
NEXT_DAY = LUNCH + dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def account(emulator, smtp: str) -> Account:
    config = Configuration(
        service_endpoint=emulator.endpoint,
        credentials=Credentials(smtp, PASSWORDS[smtp]),
        auth_type=BASIC,
    )
    return Account(smtp, config=config, autodiscover=False, access_type=DELEGATE)


def invite_adele(alex: Account, allow: bool = True) -> CalendarItem:
    meeting = CalendarItem(
        account=alex,
        folder=alex.calendar,
        subject="Lunch",
        location="Cafe",
        start=LUNCH,
        end=LUNCH + HOUR,
        required_attendees=[Attendee(mailbox=Mailbox(email_address="AdeleV@contoso.com"))],
        allow_new_time_proposal=allow,
    )
    meeting.save(send_meeting_invitations="SendToAllAndSaveCopy")
    return meeting


def only(items, cls):
    found = [i for i in items if isinstance(i, cls)]
    assert len(found) == 1, found
    return found[0]


def test_version_probe_adopts_the_emulated_build(emulator):
    # No fixed version: exchangelib probes with ConvertId and reads ServerVersionInfo.
    alex = account(emulator, "AlexW@contoso.com")
    assert str(alex.version.build).startswith("15.2.1544")
    assert alex.version.api_version == "Exchange2016"


def test_propose_new_time_round_trip(emulator):
    alex = account(emulator, "AlexW@contoso.com")
    adele = account(emulator, "AdeleV@contoso.com")

    # Alex invites Adele, allowing proposals.
    meeting = invite_adele(alex)
    assert only(alex.sent.all(), MeetingRequest).subject == "Lunch"

    # Adele finds the request and a tentative item in her calendar.
    request = only(adele.inbox.all(), MeetingRequest)
    assert request.subject == "Lunch"
    assert request.start == LUNCH and request.end == LUNCH + HOUR
    assert request.meeting_request_type == "NewMeetingRequest"
    tentative = adele.calendar.get(id=request.associated_calendar_item_id.id)
    assert tentative.my_response_type == "NoResponseReceived"
    assert tentative.legacy_free_busy_status == "Tentative"

    # She tentatively accepts, proposing the next day.
    result = request.tentatively_accept(
        proposed_start=NEXT_DAY, proposed_end=NEXT_DAY + HOUR, body="Tomorrow works better."
    )
    assert len(result) == 2  # her calendar item, and the request now in Deleted Items
    calendar_id, request_id = result[0].id, result[1].id
    assert adele.calendar.get(id=calendar_id).my_response_type == "Tentative"
    assert [i.id for i in adele.trash.all()] == [request_id]
    assert list(adele.inbox.all()) == []
    sent = only(adele.sent.all(), MeetingResponse)
    assert sent.subject == "New Time Proposed: Lunch"

    # Alex finds the MeetingResponse carrying the proposal.
    response = only(alex.inbox.all(), MeetingResponse)
    assert response.subject == "New Time Proposed: Lunch"
    assert response.proposed_start == NEXT_DAY
    assert response.proposed_end == NEXT_DAY + HOUR
    assert response.associated_calendar_item_id.id == meeting.id
    assert response.response_type == "Tentative"
    assert response.sender.email_address == "AdeleV@contoso.com"
    assert "Tomorrow works better." in response.body

    # ... and sees it on his attendee list.
    mine = alex.calendar.get(id=response.associated_calendar_item_id.id)
    (entry,) = mine.required_attendees
    assert entry.mailbox.email_address == "AdeleV@contoso.com"
    assert entry.response_type == "Tentative"
    assert entry.proposed_start == NEXT_DAY and entry.proposed_end == NEXT_DAY + HOUR
    assert entry.last_response_time is not None

    # He moves the meeting to the proposed time and sends the update to all.
    mine.start, mine.end = NEXT_DAY, NEXT_DAY + HOUR
    mine.save(update_fields=["start", "end"], send_meeting_invitations="SendToAllAndSaveCopy")

    moved = alex.calendar.get(id=meeting.id)
    (entry,) = moved.required_attendees
    assert entry.response_type == "NoResponseReceived"
    assert entry.proposed_start is None and entry.proposed_end is None

    # Adele receives the update, and her calendar shows the new time, unanswered.
    update = only(adele.inbox.all(), MeetingRequest)
    assert update.meeting_request_type == "FullUpdate"
    assert update.start == NEXT_DAY and update.end == NEXT_DAY + HOUR
    hers = adele.calendar.get(id=calendar_id)
    assert hers.start == NEXT_DAY
    assert hers.my_response_type == "NoResponseReceived"


def test_plain_accept_reports_without_proposal(emulator):
    alex = account(emulator, "AlexW@contoso.com")
    adele = account(emulator, "AdeleV@contoso.com")
    invite_adele(alex)
    only(adele.inbox.all(), MeetingRequest).accept()
    response = only(alex.inbox.all(), MeetingResponse)
    assert response.subject == "Accepted: Lunch"
    assert response.response_type == "Accept"
    assert response.proposed_start is None and response.proposed_end is None


def test_stale_change_key_is_refused(emulator):
    alex = account(emulator, "AlexW@contoso.com")
    adele = account(emulator, "AdeleV@contoso.com")
    meeting = invite_adele(alex)
    stale = alex.calendar.get(id=meeting.id)
    # Adele's answer updates Alex's item, so the ChangeKey he holds is now stale.
    only(adele.inbox.all(), MeetingRequest).decline()
    stale.subject = "Lunch (moved)"
    with pytest.raises(ErrorIrresolvableConflict):
        stale.save(update_fields=["subject"], send_meeting_invitations="SendToNone")
    assert alex.calendar.get(id=meeting.id).subject == "Lunch"
