"""The client library (ews_propose.client) drives the whole propose-new-time workflow
against the emulator on a real socket: attendee proposes, organizer reviews, checks
availability and moves the meeting; old servers get the exception or the e-mail."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ews_propose.client import (
    EwsClient,
    EwsTransportError,
    NaiveDatetimeError,
    ProposalNotSupportedError,
    ProposalOutdatedError,
)
from ews_propose.versions import DEFAULT_BUILD, Build

from .ews import PASSWORDS

LUNCH = datetime(2026, 12, 1, 12, tzinfo=UTC)
NEXT_DAY = LUNCH + timedelta(days=1)
HOUR = timedelta(hours=1)


def client(emulator, smtp: str, **options) -> EwsClient:
    return EwsClient(emulator.endpoint, user=smtp, password=PASSWORDS[smtp], **options)


def invite(alex: EwsClient, subject="Lunch", start=LUNCH, rooms=(), allow=True):
    return alex.create_meeting(subject, start, start + HOUR, required=["AdeleV@contoso.com"],
                               resources=rooms, location="Cafe", allow_new_time_proposal=allow)


def test_lunch_scenario_driven_only_by_the_client(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")

    meeting = invite(alex)
    (request,) = adele.meeting_requests()
    assert (request.subject, request.start, request.organizer.email) == ("Lunch", LUNCH, "AlexW@contoso.com")
    assert adele.server_build == DEFAULT_BUILD
    assert adele.can_propose(request)

    # Adele, in Paris, proposes 13:00-14:00 her time the next day (12:00-13:00 UTC).
    paris = ZoneInfo("Europe/Paris")
    answer = adele.propose_new_time(request, datetime(2026, 12, 2, 13, tzinfo=paris),
                                    datetime(2026, 12, 2, 14, tzinfo=paris), comment="Tomorrow?")
    assert answer.kind == "proposal"
    assert answer.meeting_request.id == request.id
    assert answer.calendar_item.id == request.calendar_item.id
    sent = [ex.request for ex in emulator.exchanges if ex.operation == "CreateItem"][-1]
    assert b">2026-12-02T12:00:00Z</" in sent  # UTC with Z on the wire
    assert adele.meeting_requests() == []  # the request moved to Deleted Items

    (proposal,) = alex.proposals()
    assert proposal.attendee.email == "AdeleV@contoso.com" and proposal.attendee.name == "Adele Vance"
    assert (proposal.subject, proposal.response_type, proposal.comment) == ("Lunch", "Tentative", "Tomorrow?")
    assert (proposal.original_start, proposal.original_end) == (LUNCH, LUNCH + HOUR)
    assert (proposal.proposed_start, proposal.proposed_end) == (NEXT_DAY, NEXT_DAY + HOUR)
    assert proposal.meeting.ref.id == meeting.id and proposal.is_open

    moved = alex.accept_proposal(proposal)
    assert moved.id == meeting.id and moved.change_key != proposal.meeting.ref.change_key
    now = alex.meeting(meeting.id)
    assert (now.start, now.end) == (NEXT_DAY, NEXT_DAY + HOUR)
    (adele_entry,) = now.attendees
    assert adele_entry.response_type == "NoResponseReceived" and adele_entry.proposed_start is None
    assert alex.proposals(open_only=True) == []

    (update,) = adele.meeting_requests()
    assert update.meeting_request_type == "FullUpdate" and update.start == NEXT_DAY

    # Accepting the same proposal again: the meeting has moved since; nothing is sent.
    stale = alex.proposals()[0]
    with pytest.raises(ProposalOutdatedError, match="has moved"):
        alex.accept_proposal(stale)


def test_accept_retries_a_conflict_only_while_the_time_is_unchanged(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")
    megan_raw = emulator.soap("AlexW@contoso.com")
    meeting = invite(alex)
    (request,) = adele.meeting_requests()
    adele.propose_new_time(request, NEXT_DAY, NEXT_DAY + HOUR)
    (proposal,) = alex.proposals()

    # Someone edits the subject meanwhile: the ChangeKey we hold is stale, the time is not.
    held = alex.meeting(meeting.id).ref
    answer = megan_raw.call(
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone">'
        f'<m:ItemChanges><t:ItemChange><t:ItemId Id="{held.id}" ChangeKey="{held.change_key}"/><t:Updates>'
        '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>Lunch!</t:Subject>'
        "</t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>")
    assert answer.response_codes == ["NoError"]
    alex.accept_proposal(proposal)
    updates = [ex for ex in emulator.exchanges if ex.operation == "UpdateItem" and ex.mailbox]
    assert [b"ErrorIrresolvableConflict" in ex.response for ex in updates[-2:]] == [True, False]
    assert alex.meeting(meeting.id).start == NEXT_DAY

    # Now the meeting moves away under a held proposal: the conflict is not retried.
    (request,) = adele.meeting_requests()
    adele.propose_new_time(request, LUNCH, LUNCH + HOUR)
    latest = next(p for p in alex.proposals() if p.is_open)
    raw = emulator.soap("AlexW@contoso.com")
    fresh = alex.meeting(meeting.id).ref
    assert raw.move(fresh.id, fresh.change_key, "2026-12-05T12:00:00Z",
                    "2026-12-05T13:00:00Z").response_codes == ["NoError"]
    before = len(emulator.exchanges)
    with pytest.raises(ProposalOutdatedError, match="has moved"):
        alex.accept_proposal(latest)
    ops = [ex.operation for ex in emulator.exchanges[before:]]
    assert ops == ["UpdateItem", "GetItem"]  # one try, one re-read, no second write
    assert alex.meeting(meeting.id).start == datetime(2026, 12, 5, 12, tzinfo=UTC)


def test_decline_proposal_writes_to_the_attendee(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")
    meeting = invite(alex)
    adele.propose_new_time(adele.meeting_requests()[0], NEXT_DAY, NEXT_DAY + HOUR, response="decline")
    (proposal,) = alex.proposals()
    assert proposal.response_type == "Decline"
    alex.decline_proposal(proposal, "Sorry, the day after is full.")
    assert alex.meeting(meeting.id).start == LUNCH
    raw = emulator.soap("AdeleV@contoso.com")
    ((message_id, _),) = raw.find_ids("inbox", "Message")
    got = raw.get(message_id)
    assert got.text("//t:Message/t:Subject") == "Re: New Time Proposed: Lunch"
    assert "Sorry, the day after is full." in got.text("//t:Message/t:Body")
    assert got.text("//t:Message/t:From/t:Mailbox/t:EmailAddress") == "AlexW@contoso.com"


def test_a_declined_proposal_is_closed_and_not_declined_twice(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")
    invite(alex)
    adele.propose_new_time(adele.meeting_requests()[0], NEXT_DAY, NEXT_DAY + HOUR)
    (proposal,) = alex.proposals(open_only=True)
    alex.decline_proposal(proposal, "No.")
    assert alex.proposals(open_only=True) == []
    # The MeetingResponse now sits in Alex's Deleted Items; read again, it is declined.
    again = alex.proposal(proposal.id)
    assert again.declined and not again.is_open
    assert emulator.soap("AlexW@contoso.com").find_ids("deleteditems", "MeetingResponse")
    with pytest.raises(ProposalOutdatedError, match="already declined"):
        alex.decline_proposal(again, "No, again.")
    raw = emulator.soap("AdeleV@contoso.com")
    assert len(raw.find_ids("inbox", "Message")) == 1  # Adele was told once


def test_meeting_that_disallows_proposals(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")
    invite(alex, allow=False)
    (request,) = adele.meeting_requests()
    assert not request.offers_propose_new_time and not adele.can_propose(request)
    with pytest.raises(ProposalNotSupportedError, match="does not allow new time proposals"):
        adele.propose_new_time(request, NEXT_DAY, NEXT_DAY + HOUR)


@pytest.mark.server_build("15.00.0775.038")
def test_old_server_raises_by_default_and_emails_with_fallback(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")
    invite(alex)
    (request,) = adele.meeting_requests()
    assert adele.server_build == Build.parse("15.00.0775.038")
    assert request.allow_new_time_proposal and not request.offers_propose_new_time
    assert not adele.can_propose(request)

    with pytest.raises(ProposalNotSupportedError, match=r"build 15\.00\.0775\.038.*15\.00\.0800\.007"):
        adele.propose_new_time(request, NEXT_DAY, NEXT_DAY + HOUR)

    answer = adele.propose_new_time(request, NEXT_DAY, NEXT_DAY + HOUR, comment="Tomorrow?", fallback=True)
    assert answer.kind == "email"
    assert not any(b"ProposedStart" in ex.request for ex in emulator.exchanges)
    raw = emulator.soap("AlexW@contoso.com")
    (message,) = [raw.get(i) for i, _ in raw.find_ids("inbox", "Message")]
    assert message.text("//t:Message/t:Subject") == "New Time Proposed: Lunch"
    body = message.text("//t:Message/t:Body")
    assert "Proposed time: 2026-12-02T12:00:00Z - 2026-12-02T13:00:00Z" in body
    assert "Current time:  2026-12-01T12:00:00Z - 2026-12-01T13:00:00Z" in body and "Tomorrow?" in body
    assert alex.proposals() == []  # an e-mail is not a MeetingResponse proposal
    # Adele has not answered the meeting itself: the request is still in her Inbox.
    assert [r.id for r in adele.meeting_requests()] == [request.id]


def test_old_schema_version_is_gated_by_the_client(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    invite(alex)
    adele = client(emulator, "AdeleV@contoso.com", schema_version="Exchange2010_SP2")
    (request,) = adele.meeting_requests()
    assert not adele.can_propose(request)
    with pytest.raises(ProposalNotSupportedError, match="Exchange2010_SP2 cannot carry a proposal"):
        adele.propose_new_time(request, NEXT_DAY, NEXT_DAY + HOUR)


def test_naive_datetimes_are_refused_before_anything_is_sent(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")
    invite(alex)
    (request,) = adele.meeting_requests()
    before = len(emulator.exchanges)
    with pytest.raises(NaiveDatetimeError, match="has no time zone"):
        adele.propose_new_time(request, datetime(2026, 12, 2, 12), datetime(2026, 12, 2, 13))
    with pytest.raises(NaiveDatetimeError):
        alex.create_meeting("Naive", datetime(2026, 12, 2, 12), datetime(2026, 12, 2, 13, tzinfo=UTC))
    assert len(emulator.exchanges) == before


def test_wrong_password_is_one_clear_error(emulator):
    bad = EwsClient(emulator.endpoint, user="AdeleV@contoso.com", password="wrong")
    with pytest.raises(EwsTransportError, match="refused the credentials"):
        bad.meeting_requests()


@pytest.mark.parametrize("count", [8, 40])
def test_reading_proposals_takes_round_trips_per_batch_not_per_item(emulator, count):
    raw_alex, raw_adele = emulator.soap("AlexW@contoso.com"), emulator.soap("AdeleV@contoso.com")
    for i in range(count):
        day = f"2027-01-{1 + i % 28:02d}"
        raw_alex.create_meeting(f"Sync {i}", f"{day}T09:00:00Z", f"{day}T10:00:00Z")
    for request_id, _ in raw_adele.find_ids("inbox", "MeetingRequest"):
        assert raw_adele.reply(request_id, proposed=("2027-02-01T15:00:00Z", "2027-02-01T16:00:00Z")
                               ).response_codes == ["NoError"]
    alex = client(emulator, "AlexW@contoso.com", batch_size=10, page_size=25)
    before = len(emulator.exchanges)
    found = alex.proposals(open_only=True)
    assert len(found) == count and all(p.is_open and p.meeting for p in found)
    ops = [ex.operation for ex in emulator.exchanges[before:]]
    # FindItem pages of 25 ids; GetItem batches of 10 responses, then 10 meetings.
    assert ops.count("FindItem") == math.ceil(count / 25)
    assert ops.count("GetItem") == 2 * math.ceil(count / 10)
    assert len(ops) == math.ceil(count / 25) + 2 * math.ceil(count / 10)


def test_two_proposals_for_one_meeting_in_a_batch_the_first_wins(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    meeting = alex.create_meeting("Lunch", LUNCH, LUNCH + HOUR,
                                  required=["AdeleV@contoso.com", "MeganB@contoso.com"])
    for who, day in (("AdeleV@contoso.com", 1), ("MeganB@contoso.com", 2)):
        attendee = client(emulator, who)
        attendee.propose_new_time(attendee.meeting_requests()[0], LUNCH + timedelta(days=day),
                                  LUNCH + timedelta(days=day) + HOUR)
    found = sorted(alex.proposals(), key=lambda p: p.attendee.email)
    before = len(emulator.exchanges)
    first, second = alex.accept_proposals(found)
    assert [ex.operation for ex in emulator.exchanges[before:]] == ["UpdateItem"]
    assert first.ok and first.meeting.id == meeting.id
    assert second.outdated and "another proposal for this meeting" in second.error
    assert alex.meeting(meeting.id).start == LUNCH + timedelta(days=1)
