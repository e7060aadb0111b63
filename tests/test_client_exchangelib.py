"""The client and exchangelib share meetings: one creates, the other handles."""

from __future__ import annotations

from datetime import UTC, datetime

from exchangelib import Attendee, CalendarItem, EWSDateTime, EWSTimeZone, Mailbox
from exchangelib.items import MeetingRequest, MeetingResponse

from .test_client import HOUR, LUNCH, NEXT_DAY, client, invite
from .test_exchangelib_roundtrip import account, only

EWS_UTC = EWSTimeZone("UTC")


def ews(value: datetime) -> EWSDateTime:
    return EWSDateTime.from_datetime(value.astimezone(UTC)).astimezone(EWS_UTC)


def test_meeting_created_by_exchangelib_is_handled_by_the_client(emulator):
    alex_el = account(emulator, "AlexW@contoso.com")
    adele_el = account(emulator, "AdeleV@contoso.com")
    meeting = CalendarItem(
        account=alex_el, folder=alex_el.calendar, subject="Lunch", location="Cafe",
        start=ews(LUNCH), end=ews(LUNCH + HOUR), allow_new_time_proposal=True,
        required_attendees=[Attendee(mailbox=Mailbox(email_address="AdeleV@contoso.com"))])
    meeting.save(send_meeting_invitations="SendToAllAndSaveCopy")

    adele = client(emulator, "AdeleV@contoso.com")
    (request,) = adele.meeting_requests()
    assert adele.can_propose(request)
    adele.propose_new_time(request, NEXT_DAY, NEXT_DAY + HOUR, comment="Tomorrow?")

    alex = client(emulator, "AlexW@contoso.com")
    (proposal,) = alex.proposals()
    assert proposal.meeting.ref.id == meeting.id and proposal.comment == "Tomorrow?"
    alex.accept_proposal(proposal)

    moved = alex_el.calendar.get(id=meeting.id)
    assert moved.start == ews(NEXT_DAY) and moved.end == ews(NEXT_DAY + HOUR)
    update = only(adele_el.inbox.all(), MeetingRequest)
    assert update.meeting_request_type == "FullUpdate" and update.start == ews(NEXT_DAY)


def test_meeting_created_by_the_client_is_handled_by_exchangelib(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    meeting = invite(alex)

    adele_el = account(emulator, "AdeleV@contoso.com")
    request = only(adele_el.inbox.all(), MeetingRequest)
    assert request.allow_new_time_proposal is True
    request.tentatively_accept(proposed_start=ews(NEXT_DAY), proposed_end=ews(NEXT_DAY + HOUR),
                               body="Tomorrow?")

    # The client reads exchangelib's proposal ...
    (proposal,) = alex.proposals()
    assert (proposal.proposed_start, proposal.attendee.email) == (NEXT_DAY, "AdeleV@contoso.com")
    # ... and exchangelib, as the organizer, reads and moves the client's meeting.
    alex_el = account(emulator, "AlexW@contoso.com")
    response = only(alex_el.inbox.all(), MeetingResponse)
    assert response.associated_calendar_item_id.id == meeting.id
    mine = alex_el.calendar.get(id=meeting.id)
    mine.start, mine.end = response.proposed_start, response.proposed_end
    mine.save(update_fields=["start", "end"], send_meeting_invitations="SendToAllAndSaveCopy")
    assert alex.meeting(meeting.id).start == NEXT_DAY
    assert alex.proposals(open_only=True) == []
