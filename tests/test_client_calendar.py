"""The project's client on recurring meetings and suggestions (issue 11, item 7): the
attendee lists the occurrences of a weekly series and proposes a new time for the third
(the series' request offers none); the organizer reads that proposal (it names the
occurrence), checks availability, accepts it, and only that occurrence moves. Then
``suggest_times`` asks the server for rated meeting times. The series is created with
exchangelib; everything else goes through ``EwsClient`` over a socket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
from exchangelib.recurrence import Recurrence, WeeklyPattern

from ews_propose.client import Occurrence, ProposalNotSupportedError

from .ews import PASSWORDS

ALEX, ADELE = "AlexW@contoso.com", "AdeleV@contoso.com"
NINE = EWSDateTime(2030, 3, 12, 9, tzinfo=EWSTimeZone("Europe/Berlin"))  # a Tuesday, 08:00Z


def _weekly_series(ews_emulator) -> str:
    config = Configuration(service_endpoint=ews_emulator.endpoint, credentials=Credentials(ALEX, PASSWORDS[ALEX]),
                           auth_type=BASIC)
    alex = Account(ALEX, config=config, autodiscover=False, access_type=DELEGATE)
    series = CalendarItem(
        account=alex, folder=alex.calendar, subject="Weekly sync", start=NINE, end=NINE + timedelta(hours=1),
        recurrence=Recurrence(pattern=WeeklyPattern(interval=1, weekdays=[2]), start=NINE.date(), number=5),
        required_attendees=[Attendee(mailbox=Mailbox(email_address=ADELE))])
    series.save(send_meeting_invitations="SendToAllAndSaveCopy")
    return series.id


def test_propose_for_one_occurrence_and_apply_it(ews_emulator):
    series_id = _weekly_series(ews_emulator)
    adele, alex = ews_emulator.client(ADELE), ews_emulator.client(ALEX)

    (request,) = adele.meeting_requests()
    assert request.is_series and not adele.can_propose(request)
    assert "recurring series" in adele.why_not_propose(request)
    with pytest.raises(ProposalNotSupportedError):
        adele.propose_new_time(request, datetime(2030, 3, 12, 10, tzinfo=UTC), datetime(2030, 3, 12, 11, tzinfo=UTC))

    first = datetime(2030, 3, 12, tzinfo=UTC)
    found = adele.occurrences(first, first + timedelta(weeks=6))
    assert [o.calendar_item_type for o in found] == ["Occurrence"] * 5
    # 09:00 Berlin: 08:00Z in winter, 07:00Z from the switch to summer time (March 31st)
    assert [o.start.hour for o in found] == [8, 8, 8, 7, 7]
    third = found[2]
    assert isinstance(third, Occurrence) and adele.can_propose(third)
    assert third.recurrence_id == third.start == datetime(2030, 3, 26, 8, tzinfo=UTC)
    adele.propose_new_time(third, third.start + timedelta(hours=2), third.end + timedelta(hours=2),
                           comment="Later that day?")

    (proposal,) = alex.proposals(open_only=True)
    assert proposal.recurrence_id == datetime(2030, 3, 26, 8, tzinfo=UTC)
    assert (proposal.original_start, proposal.proposed_start) == (third.start, third.start + timedelta(hours=2))
    assert proposal.meeting is not None and proposal.meeting.start == third.start
    # the answer is recorded on that occurrence's attendee list, not on the series'
    (mine,) = proposal.meeting.attendees
    assert (mine.response_type, mine.proposed_start) == ("Tentative", third.start + timedelta(hours=2))
    (series_entry,) = alex.meeting(series_id).attendees
    assert series_entry.response_type == "Unknown" and series_entry.proposed_start is None
    assert alex.availability(proposal).everyone_free
    alex.accept_proposal(proposal)
    assert alex.proposals(open_only=True) == []  # the occurrence moved: answered afresh

    moved = adele.occurrences(first, first + timedelta(weeks=6))
    assert [o.start for o in moved] == [o.start for o in found[:2]] + [third.start + timedelta(hours=2)] + [
        o.start for o in found[3:]]
    assert [o.calendar_item_type for o in moved] == ["Occurrence", "Occurrence", "Exception", "Occurrence",
                                                     "Occurrence"]


def test_suggest_times(ews_emulator):
    adele, alex = ews_emulator.client(ADELE), ews_emulator.client(ALEX)
    monday = datetime(2030, 5, 6, tzinfo=UTC)
    adele.create_meeting("Dentist", monday.replace(hour=10), monday.replace(hour=11))
    found = alex.suggest_times([ALEX, ADELE], monday, monday + timedelta(days=1), timedelta(hours=1),
                               max_per_day=48, minimum_quality="Poor")
    by_start = {s.start: s for s in found}
    assert by_start[monday.replace(hour=8)].quality == "Excellent"
    assert by_start[monday.replace(hour=8)].conflicts == 0
    assert by_start[monday.replace(hour=10)].conflicts == 1
    assert by_start[monday.replace(hour=10)].quality == "Poor"  # one of two is busy
    assert all(s.is_work_time for s in found)
    assert [s.start for s in found] == sorted(by_start)
    assert all(s.end - s.start == timedelta(hours=1) for s in found)
    with pytest.raises(ValueError):
        alex.suggest_times([ALEX], monday, monday + timedelta(days=50), timedelta(hours=1))
