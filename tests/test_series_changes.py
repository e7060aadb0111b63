"""A series changed as a whole, and rooms booked by series (issue 11, items 1 and 2):
changing the pattern drops the exceptions and deletions, resets every response and sends
a FullUpdate for the series; a room declines a meeting (single or recurring) that
overlaps one occurrence of a series it has accepted, and accepts one between them.
Played with exchangelib against the emulator on a socket."""

from __future__ import annotations

import datetime as dt

from exchangelib import Attendee, CalendarItem, EWSDateTime, Mailbox
from exchangelib.items import MeetingRequest
from exchangelib.recurrence import DailyPattern, Recurrence, WeeklyPattern

from .test_recurrence import BERLIN, account

ADELE, ROOM = "AdeleV@contoso.com", "Rainier@contoso.com"
NINE = EWSDateTime(2030, 9, 2, 9, tzinfo=BERLIN)  # a Monday


def _series(alex, subject, start, pattern, number, attendees=(ADELE,), resources=()):
    item = CalendarItem(
        account=alex, folder=alex.calendar, subject=subject, start=start, end=start + dt.timedelta(hours=1),
        recurrence=Recurrence(pattern=pattern, start=start.date(), number=number),
        required_attendees=[Attendee(mailbox=Mailbox(email_address=a)) for a in attendees],
        resources=[Attendee(mailbox=Mailbox(email_address=r)) for r in resources])
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    return item


def test_changing_the_pattern_drops_exceptions_and_resets_responses(emulator):
    alex, adele = account(emulator, "AlexW@contoso.com"), account(emulator, ADELE)
    master = _series(alex, "Weekly", NINE, WeeklyPattern(interval=1, weekdays=[1]), 4)
    (request,) = [r for r in adele.inbox.all() if isinstance(r, MeetingRequest)]
    request.accept()
    series = alex.calendar.get(id=master.id)
    assert [a.response_type for a in series.required_attendees] == ["Accept"]

    # one occurrence moved, one deleted
    second = master.occurrence(2)
    second.refresh()
    second.start, second.end = second.start + dt.timedelta(hours=1), second.end + dt.timedelta(hours=1)
    second.save(send_meeting_invitations="SendToNone")
    third = master.occurrence(3)
    third.refresh()
    third.delete(send_meeting_cancellations="SendToNone")
    series = alex.calendar.get(id=master.id)
    assert len(series.modified_occurrences) == 1 and len(series.deleted_occurrences) == 1

    # a new pattern: every day, three times
    series.recurrence = Recurrence(pattern=DailyPattern(interval=1), start=NINE.date(), number=3)
    series.save(update_fields=["recurrence"], send_meeting_invitations="SendToAllAndSaveCopy")
    series = alex.calendar.get(id=master.id)
    assert series.modified_occurrences is None and series.deleted_occurrences is None
    assert series.last_occurrence.start == NINE + dt.timedelta(days=2)
    assert [a.response_type for a in series.required_attendees] == ["NoResponseReceived"]
    updates = [r for r in adele.inbox.all() if isinstance(r, MeetingRequest) and r.meeting_request_type == "FullUpdate"]
    assert len(updates) == 1 and updates[0].type == "RecurringMaster"
    view = list(adele.calendar.view(start=NINE - dt.timedelta(days=1), end=NINE + dt.timedelta(weeks=5)))
    assert [o.start for o in view] == [NINE + dt.timedelta(days=d) for d in range(3)]
    assert [o.type for o in view] == ["Occurrence"] * 3


def test_a_room_sees_each_occurrence_of_the_series_it_booked(emulator):
    alex = account(emulator, "AlexW@contoso.com")
    megan = account(emulator, "MeganB@contoso.com")
    _series(alex, "Stand-up", NINE, DailyPattern(interval=1), 5, resources=(ROOM,))
    room = account(emulator, ROOM)
    booked = list(room.calendar.view(start=NINE - dt.timedelta(days=1), end=NINE + dt.timedelta(days=7)))
    assert [o.start for o in booked] == [NINE + dt.timedelta(days=d) for d in range(5)]

    def meeting(subject, start, recurrence=None):
        item = CalendarItem(account=megan, folder=megan.calendar, subject=subject, start=start,
                            end=start + dt.timedelta(minutes=30), recurrence=recurrence,
                            resources=[Attendee(mailbox=Mailbox(email_address=ROOM))])
        item.save(send_meeting_invitations="SendToAllAndSaveCopy")
        item.refresh()
        (entry,) = item.resources
        return entry.response_type

    # the fourth occurrence (Thursday 09:00) is taken; Thursday 10:00 is free
    assert meeting("Clash", NINE + dt.timedelta(days=3, minutes=15)) == "Decline"
    assert meeting("Between", NINE + dt.timedelta(days=3, hours=1)) == "Accept"
    # a weekly series whose second occurrence (next Monday) falls after the stand-ups: accepted;
    # one starting on the Wednesday at 09:00 clashes with its first occurrence
    assert meeting("Later", NINE + dt.timedelta(days=7), Recurrence(
        pattern=WeeklyPattern(interval=1, weekdays=[1]), start=(NINE + dt.timedelta(days=7)).date(), number=2)) \
        == "Accept"
    assert meeting("Weekly clash", NINE + dt.timedelta(days=2), Recurrence(
        pattern=WeeklyPattern(interval=1, weekdays=[3]), start=(NINE + dt.timedelta(days=2)).date(), number=2)) \
        == "Decline"
