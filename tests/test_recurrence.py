"""Recurring meetings: patterns expanded in the organizer's zone, occurrences in
CalendarView, proposals for one occurrence (never for the series), and moving only that
occurrence. Played end to end with exchangelib (and raw SOAP for what exchangelib does
not show) against the emulator on a socket."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

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
from exchangelib.errors import ErrorInvalidOperation
from exchangelib.items import MeetingCancellation, MeetingRequest, MeetingResponse
from exchangelib.recurrence import DailyPattern, Recurrence, WeeklyPattern

from ews_propose.rules import recurrence as rec

from .ews import PASSWORDS

BERLIN = EWSTimeZone("Europe/Berlin")
EUTC = EWSTimeZone("UTC")
UTC = dt.UTC


def account(emulator, smtp: str) -> Account:
    config = Configuration(service_endpoint=emulator.endpoint, credentials=Credentials(smtp, PASSWORDS[smtp]),
                           auth_type=BASIC)
    return Account(smtp, config=config, autodiscover=False, access_type=DELEGATE, default_timezone=BERLIN)


# --- the patterns, as plain rules ------------------------------------------------------


def _starts(pattern: rec.Pattern, first: dt.datetime, zone="Europe/Berlin", until=None):
    return [s.start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
            for s in rec.slots(pattern, first, dt.timedelta(hours=1), ZoneInfo(zone), until=until)]


def test_weekly_stays_at_nine_local_across_daylight_saving():
    p = rec.Pattern(rec.WEEKLY, dt.date(2030, 3, 19), days_of_week=["Tuesday"], range=rec.NUMBERED, count=3)
    first = dt.datetime(2030, 3, 19, 8, tzinfo=UTC)  # 09:00 CET
    slots = list(rec.slots(p, first, dt.timedelta(hours=1), ZoneInfo("Europe/Berlin")))
    assert [s.start for s in slots] == [dt.datetime(2030, 3, 19, 8, tzinfo=UTC), dt.datetime(2030, 3, 26, 8, tzinfo=UTC),
                                        dt.datetime(2030, 4, 2, 7, tzinfo=UTC)]  # CEST from March 31st


@pytest.mark.parametrize("pattern, expected", [
    (rec.Pattern(rec.DAILY, dt.date(2030, 1, 1), interval=2, range=rec.NUMBERED, count=3),
     ["2030-01-01", "2030-01-03", "2030-01-05"]),
    (rec.Pattern(rec.WEEKLY, dt.date(2030, 1, 1), interval=2, days_of_week=["Monday", "Friday"],
                 first_day_of_week="Monday", range=rec.END_DATE, end_date=dt.date(2030, 1, 20)),
     ["2030-01-04", "2030-01-14", "2030-01-18"]),
    (rec.Pattern(rec.ABSOLUTE_MONTHLY, dt.date(2030, 1, 1), day_of_month=31, range=rec.NUMBERED, count=3),
     ["2030-01-31", "2030-02-28", "2030-03-31"]),
    (rec.Pattern(rec.RELATIVE_MONTHLY, dt.date(2030, 1, 1), days_of_week=["Thursday"], day_index="Last",
                 range=rec.NUMBERED, count=2), ["2030-01-31", "2030-02-28"]),
    (rec.Pattern(rec.RELATIVE_MONTHLY, dt.date(2030, 1, 1), days_of_week=["Weekday"], day_index="First",
                 range=rec.NUMBERED, count=2), ["2030-01-01", "2030-02-01"]),
    (rec.Pattern(rec.ABSOLUTE_YEARLY, dt.date(2030, 1, 1), day_of_month=29, month=2, range=rec.NUMBERED, count=3),
     ["2030-02-28", "2031-02-28", "2032-02-29"]),
    (rec.Pattern(rec.RELATIVE_YEARLY, dt.date(2030, 1, 1), days_of_week=["Monday"], day_index="Second",
                 month=10, range=rec.NUMBERED, count=2), ["2030-10-14", "2031-10-13"]),
])
def test_every_pattern_and_range(pattern, expected):
    pattern.check()
    first = dt.datetime(2030, 1, 1, 9, tzinfo=UTC)
    assert [d.date().isoformat() for d in _starts(pattern, first, "UTC")] == expected


def test_a_no_end_series_is_walked_only_to_the_bound():
    p = rec.Pattern(rec.DAILY, dt.date(2030, 1, 1))
    got = _starts(p, dt.datetime(2030, 1, 1, 9, tzinfo=UTC), "UTC", until=dt.datetime(2030, 1, 4, tzinfo=UTC))
    assert len(got) == 3


# --- the workflow, end to end with exchangelib --------------------------------------------


def _response_objects(soap, item_id: str) -> list[str]:
    answer = soap.get(item_id, shape="IdOnly", extra=("item:ResponseObjects",))
    assert answer.response_codes == ["NoError"], answer.content
    return [el.tag.split("}")[1] for el in answer.xpath("//t:ResponseObjects/*")]


def test_weekly_meeting_proposal_for_the_third_occurrence(emulator):
    alex = account(emulator, "AlexW@contoso.com")
    adele = account(emulator, "AdeleV@contoso.com")
    nine = EWSDateTime(2030, 3, 12, 9, 0, tzinfo=BERLIN)  # Tuesdays, across the switch to CEST
    master = CalendarItem(
        account=alex, folder=alex.calendar, subject="Weekly sync", start=nine, end=nine + dt.timedelta(hours=1),
        recurrence=Recurrence(pattern=WeeklyPattern(interval=1, weekdays=[2]), start=nine.date(), number=5),
        required_attendees=[Attendee(mailbox=Mailbox(email_address="AdeleV@contoso.com"))],
        allow_new_time_proposal=True,
    )
    master.save(send_meeting_invitations="SendToAllAndSaveCopy")
    master.refresh()
    assert master.type == "RecurringMaster" and master.is_recurring is False
    assert master.last_occurrence.start == nine + dt.timedelta(weeks=4)

    # One request for the series.
    requests = [r for r in adele.inbox.all() if isinstance(r, MeetingRequest)]
    assert len(requests) == 1 and requests[0].type == "RecurringMaster"
    assert isinstance(requests[0].recurrence.pattern, WeeklyPattern)

    # The attendee's calendar shows five occurrences, each at 09:00 Berlin time.
    view = list(adele.calendar.view(start=nine - dt.timedelta(days=1), end=nine + dt.timedelta(weeks=6)))
    assert [o.type for o in view] == ["Occurrence"] * 5
    assert [o.start.astimezone(BERLIN).hour for o in view] == [9] * 5
    assert view[3].start.astimezone(EUTC).hour == 7  # CEST

    # The series offers no ProposeNewTime and refuses a proposal; an occurrence offers it.
    adele_soap = emulator.soap("AdeleV@contoso.com")
    request_actions = _response_objects(adele_soap, requests[0].id)
    assert "ProposeNewTime" not in request_actions and "TentativelyAcceptItem" in request_actions
    assert "ProposeNewTime" in _response_objects(adele_soap, view[2].id)
    with pytest.raises(ErrorInvalidOperation):
        requests[0].tentatively_accept(proposed_start=nine + dt.timedelta(hours=2),
                                       proposed_end=nine + dt.timedelta(hours=3))

    # Adele proposes 11:00 for the third occurrence only.
    third = view[2]
    eleven = third.start + dt.timedelta(hours=2)
    third.tentatively_accept(proposed_start=eleven, proposed_end=eleven + dt.timedelta(hours=1), body="Later?")

    response = [r for r in alex.inbox.all() if isinstance(r, MeetingResponse)][0]
    assert response.subject == "New Time Proposed: Weekly sync"
    assert response.proposed_start == eleven
    alex_soap = emulator.soap("AlexW@contoso.com")
    wire = alex_soap.get(response.id, extra=("calendar:RecurrenceId",))
    assert wire.text("//t:MeetingResponse/t:RecurrenceId") == third.start.astimezone(EUTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    occurrence = alex.calendar.get(id=response.associated_calendar_item_id.id)
    assert occurrence.type == "Occurrence" and occurrence.original_start == third.start

    # Alex moves only that occurrence; Adele sees it moved and the others where they were.
    occurrence.start, occurrence.end = response.proposed_start, response.proposed_end
    occurrence.save(send_meeting_invitations="SendToAllAndSaveCopy")
    after = list(adele.calendar.view(start=nine - dt.timedelta(days=1), end=nine + dt.timedelta(weeks=6)))
    assert [o.start for o in after] == [o.start for o in view[:2]] + [eleven] + [o.start for o in view[3:]]
    assert [o.type for o in after] == ["Occurrence", "Occurrence", "Exception", "Occurrence", "Occurrence"]
    # The update is for that instance alone; the series' own request stays unanswered.
    update = [r for r in adele.inbox.all() if isinstance(r, MeetingRequest) and r.type == "Exception"]
    assert len(update) == 1 and update[0].start == eleven and update[0].meeting_request_type == "FullUpdate"
    assert [r.type for r in adele.inbox.all() if isinstance(r, MeetingRequest)].count("RecurringMaster") == 1
    series = alex.calendar.get(id=master.id)
    assert len(series.modified_occurrences) == 1 and series.modified_occurrences[0].start == eleven


def test_occurrence_ids_and_deleted_occurrences_over_raw_soap(alex):
    answer = alex.call(
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>'
        "<t:Subject>Daily</t:Subject><t:Start>2030-01-07T09:00:00Z</t:Start><t:End>2030-01-07T09:30:00Z</t:End>"
        "<t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence>"
        "<t:NoEndRecurrence><t:StartDate>2030-01-07</t:StartDate></t:NoEndRecurrence></t:Recurrence>"
        "</t:CalendarItem></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    master_id = answer.first("//t:CalendarItem/t:ItemId").get("Id")
    got = alex.call(
        "<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds>"
        f'<t:OccurrenceItemId RecurringMasterId="{master_id}" InstanceIndex="3"/></m:ItemIds></m:GetItem>')
    assert got.response_codes == ["NoError"], got.content
    assert got.text("//t:CalendarItem/t:Start") == "2030-01-09T09:00:00Z"
    assert got.text("//t:CalendarItem/t:CalendarItemType") == "Occurrence"
    occurrence_id = got.first("//t:CalendarItem/t:ItemId").get("Id")
    back = alex.call(
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
        f'<t:RecurringMasterItemId OccurrenceId="{occurrence_id}"/></m:ItemIds></m:GetItem>')
    assert back.first("//t:CalendarItem/t:ItemId").get("Id") == master_id
    gone = alex.call('<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone"><m:ItemIds>'
                     f'<t:ItemId Id="{occurrence_id}"/></m:ItemIds></m:DeleteItem>')
    assert gone.response_codes == ["NoError"], gone.content
    again = alex.call(
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
        f'<t:OccurrenceItemId RecurringMasterId="{master_id}" InstanceIndex="3"/></m:ItemIds></m:GetItem>')
    assert again.response_codes == ["ErrorCalendarOccurrenceIsDeletedFromRecurrence"]
    series = alex.get(master_id)
    assert series.text("//t:CalendarItem/t:DeletedOccurrences/t:DeletedOccurrence/t:Start") == "2030-01-09T09:00:00Z"
    assert not series.xpath("//t:CalendarItem/t:LastOccurrence")  # no end
    # A CalendarView of a NoEnd series is bounded by the view.
    view = alex.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
        '<m:CalendarView StartDate="2030-01-01T00:00:00Z" EndDate="2030-01-12T00:00:00Z"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
    assert view.first("//m:RootFolder").get("TotalItemsInView") == "4"  # the 7th, 8th, 10th, 11th


def test_invalid_recurrence_is_refused(alex):
    answer = alex.call(
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>'
        "<t:Start>2030-01-07T09:00:00Z</t:Start><t:End>2030-01-07T09:30:00Z</t:End>"
        "<t:Recurrence><t:WeeklyRecurrence><t:Interval>0</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek>"
        "</t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>2030-01-07</t:StartDate>"
        "<t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>"
        "</t:CalendarItem></m:Items></m:CreateItem>")
    assert answer.response_codes == ["ErrorCalendarInvalidRecurrence"]


def _view(soap, start: str, end: str, extra: str = "") -> list[str]:
    answer = soap.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        f'<m:CalendarView StartDate="{start}" EndDate="{end}"/>{extra}'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
    assert answer.status == 200, answer.content
    if answer.response_codes != ["NoError"]:
        return answer.response_codes
    return [el.text for el in answer.xpath("//t:CalendarItem/t:Subject")]


def test_calendar_view_edges_as_exchange(alex):
    for subject, start, end in (("Morning", "08:00", "09:00"), ("Noon", "12:00", "13:00")):
        answer = alex.call(
            f'<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem><t:Subject>{subject}'
            f"</t:Subject><t:Start>2030-02-01T{start}:00Z</t:Start><t:End>2030-02-01T{end}:00Z</t:End>"
            "</t:CalendarItem></m:Items></m:CreateItem>")
        assert answer.response_codes == ["NoError"]
    # An item ending exactly at the view's start is in it; one starting at its end is not.
    assert _view(alex, "2030-02-01T09:00:00Z", "2030-02-01T12:00:00Z") == ["Morning"]
    assert _view(alex, "2030-02-01T08:00:00Z", "2030-02-01T13:00:00Z") == ["Morning", "Noon"]
    assert _view(alex, "2030-02-01T09:00:01Z", "2030-02-01T12:00:00Z") == []
    restricted = ('<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:Subject"/><t:FieldURIOrConstant>'
                  '<t:Constant Value="Noon"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>')
    assert _view(alex, "2030-02-01T08:00:00Z", "2030-02-01T13:00:00Z", restricted) == ["ErrorInvalidOperation"]


def test_organizer_cancels_one_occurrence_with_exchangelib(emulator):
    alex = account(emulator, "AlexW@contoso.com")
    adele = account(emulator, "AdeleV@contoso.com")
    nine = EWSDateTime(2030, 6, 3, 9, 0, tzinfo=BERLIN)
    master = CalendarItem(
        account=alex, folder=alex.calendar, subject="Daily", start=nine, end=nine + dt.timedelta(minutes=30),
        recurrence=Recurrence(pattern=DailyPattern(interval=1), start=nine.date(), number=3),
        required_attendees=[Attendee(mailbox=Mailbox(email_address="AdeleV@contoso.com"))])
    master.save(send_meeting_invitations="SendToAllAndSaveCopy")
    second = master.occurrence(2)
    second.refresh()
    second.delete(send_meeting_cancellations="SendToAllAndSaveCopy")
    left = list(adele.calendar.view(start=nine - dt.timedelta(days=1), end=nine + dt.timedelta(days=4)))
    assert [o.start for o in left] == [nine, nine + dt.timedelta(days=2)]
    notices = [m for m in adele.inbox.all() if isinstance(m, MeetingCancellation)]
    assert len(notices) == 1
    wire = emulator.soap("AdeleV@contoso.com").get(notices[0].id, extra=("calendar:RecurrenceId",))
    assert wire.text("//t:MeetingCancellation/t:RecurrenceId") == "2030-06-04T07:00:00Z"
    series = alex.calendar.get(id=master.id)
    assert [d.start for d in series.deleted_occurrences] == [nine + dt.timedelta(days=1)]
