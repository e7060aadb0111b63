"""The client's availability(): GetUserAvailability for every attendee, rooms included,
over the proposed window (needs the emulator's GetUserAvailability)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .test_client import HOUR, LUNCH, NEXT_DAY, client, invite


def test_a_room_booked_in_the_proposed_slot_is_reported_busy(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")
    megan = client(emulator, "MeganB@contoso.com")
    invite(alex, rooms=["Rainier@contoso.com"])
    # Megan books the room for the slot Adele is about to propose.
    megan.create_meeting("Board review", NEXT_DAY, NEXT_DAY + HOUR, resources=["Rainier@contoso.com"],
                         location="Rainier")
    (request,) = adele.meeting_requests()
    adele.propose_new_time(request, NEXT_DAY, NEXT_DAY + HOUR)
    (proposal,) = alex.proposals()

    report = alex.availability(proposal)
    status = {a.attendee.person.email: (a.attendee.kind, a.status) for a in report.attendees}
    assert status == {
        "AlexW@contoso.com": ("Organizer", "free"),
        "AdeleV@contoso.com": ("Required", "free"),
        "Rainier@contoso.com": ("Resource", "busy"),
    }
    assert not report.everyone_free
    (room,) = report.with_status("busy")
    (conflict,) = room.conflicts
    assert (conflict.start, conflict.end, conflict.busy_type) == (NEXT_DAY, NEXT_DAY + HOUR, "Busy")
    assert conflict.subject == "Board review"
    calls = [ex for ex in emulator.exchanges if ex.operation == "GetUserAvailability"]
    assert len(calls) == 1  # every mailbox in one request


def test_the_meeting_itself_is_not_a_conflict_and_tentative_is_reported(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")
    megan = client(emulator, "MeganB@contoso.com")
    invite(alex)
    half = timedelta(minutes=30)
    # Adele proposes to start half an hour later: the window overlaps the meeting itself.
    (request,) = adele.meeting_requests()
    adele.propose_new_time(request, LUNCH + half, LUNCH + HOUR + half)
    (proposal,) = alex.proposals()
    assert alex.availability(proposal).everyone_free

    # Megan invites Alex over the next slot: his copy is tentative until he answers.
    megan.create_meeting("1:1", NEXT_DAY, NEXT_DAY + HOUR, required=["AlexW@contoso.com"])
    invite(alex, subject="Coffee", start=NEXT_DAY - 2 * HOUR)
    coffee = next(r for r in adele.meeting_requests() if r.subject == "Coffee")
    adele.propose_new_time(coffee, NEXT_DAY, NEXT_DAY + HOUR)
    proposal = next(p for p in alex.proposals() if p.subject == "Coffee")
    report = alex.availability(proposal)
    (alex_row,) = report.with_status("tentative")
    assert alex_row.attendee.person.email == "AlexW@contoso.com"
    assert alex_row.conflicts[0].subject == "1:1"


def test_availabilities_for_many_proposals_share_requests(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")
    for day in range(10):
        invite(alex, subject=f"Lunch {day}", start=LUNCH + timedelta(days=day))
    for request in adele.meeting_requests():
        adele.propose_new_time(request, request.start + 2 * HOUR, request.end + 2 * HOUR)
    found = alex.proposals()
    before = len(emulator.exchanges)
    reports = alex.availabilities(found)
    assert [r.proposal for r in reports] == found
    assert all(r.everyone_free for r in reports)
    assert [ex.operation for ex in emulator.exchanges[before:]] == ["GetUserAvailability"]
    assert reports[0].start == datetime(2026, 12, 1, 14, tzinfo=UTC)
