"""Calendar items keep the zone their times were given in: StartTimeZone/EndTimeZone
(Exchange2010+), MeetingTimeZone (Exchange2007), TimeZoneContext; all-day events are
snapped to midnight in that zone. Played with exchangelib and raw SOAP on a socket."""

from __future__ import annotations

import datetime as dt

from exchangelib import (
    BASIC,
    DELEGATE,
    Account,
    Attendee,
    CalendarItem,
    Configuration,
    Credentials,
    EWSDate,
    EWSDateTime,
    EWSTimeZone,
    Mailbox,
)
from exchangelib.items import MeetingRequest

from .ews import PASSWORDS

BERLIN = EWSTimeZone("Europe/Berlin")
TOKYO = EWSTimeZone("Asia/Tokyo")


def account(emulator, smtp: str) -> Account:
    config = Configuration(service_endpoint=emulator.endpoint, credentials=Credentials(smtp, PASSWORDS[smtp]),
                           auth_type=BASIC)
    return Account(smtp, config=config, autodiscover=False, access_type=DELEGATE, default_timezone=TOKYO)


def test_exchangelib_meeting_in_w_europe_reads_back_at_nine_in_its_zone(emulator):
    alex = account(emulator, "AlexW@contoso.com")
    adele = account(emulator, "AdeleV@contoso.com")
    start = EWSDateTime(2030, 7, 16, 9, 0, tzinfo=BERLIN)  # summer: 07:00Z
    item = CalendarItem(account=alex, folder=alex.calendar, subject="Zoned", start=start,
                        end=start + dt.timedelta(hours=1),
                        required_attendees=[Attendee(mailbox=Mailbox(email_address="AdeleV@contoso.com"))])
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")

    back = alex.calendar.get(id=item.id)
    assert back._start_timezone is not None and back._start_timezone.ms_id == "W. Europe Standard Time"
    assert back._end_timezone.ms_id == "W. Europe Standard Time"
    assert back.start.astimezone(back._start_timezone).replace(tzinfo=None) == dt.datetime(2030, 7, 16, 9, 0)
    assert back.start == start

    # The attendee's copy and request carry the organizer's zone too.
    request = [r for r in adele.inbox.all() if isinstance(r, MeetingRequest)][0]
    assert request._start_timezone.ms_id == "W. Europe Standard Time"
    theirs = [c for c in adele.calendar.all() if c.subject == "Zoned"][0]
    assert theirs._start_timezone.ms_id == "W. Europe Standard Time"


def test_exchangelib_sorts_a_calendar_with_all_day_and_zoned_items(emulator):
    alex = account(emulator, "AlexW@contoso.com")
    CalendarItem(account=alex, folder=alex.calendar, subject="Holiday", is_all_day=True,
                 start=EWSDate(2030, 7, 16), end=EWSDate(2030, 7, 17),
                 ).save(send_meeting_invitations="SendToNone")
    nine = EWSDateTime(2030, 7, 16, 9, 0, tzinfo=BERLIN)
    CalendarItem(account=alex, folder=alex.calendar, subject="Standup", start=nine,
                 end=nine + dt.timedelta(minutes=15)).save(send_meeting_invitations="SendToNone")
    view = alex.calendar.view(start=EWSDateTime(2030, 7, 15, tzinfo=TOKYO), end=EWSDateTime(2030, 7, 18, tzinfo=TOKYO))
    items = list(view)
    holiday = [i for i in items if i.subject == "Holiday"][0]
    # All day in the account's zone (exchangelib's default for dates): the same day back.
    assert holiday.start == EWSDate(2030, 7, 16) and holiday.end == EWSDate(2030, 7, 17)
    assert holiday._start_timezone.ms_id == "Tokyo Standard Time"
    ordered = sorted(alex.calendar.filter(start__lt=EWSDateTime(2030, 7, 18, tzinfo=TOKYO),
                                          end__gt=EWSDateTime(2030, 7, 15, tzinfo=TOKYO)).order_by("start"),
                     key=lambda i: i.subject)
    assert [i.subject for i in ordered] == ["Holiday", "Standup"]


def _calendar_item(alex, body: str, header: str = "", version: str = "Exchange2013"):
    answer = alex.call(f'<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>{body}'
                       "</t:CalendarItem></m:Items></m:CreateItem>", version=version, header=header)
    assert answer.response_codes == ["NoError"], answer.content
    return answer.first("//t:CalendarItem/t:ItemId").get("Id")


def _times(alex, item_id, version="Exchange2013"):
    answer = alex.call(
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"
        + "".join(f'<t:FieldURI FieldURI="calendar:{n}"/>' for n in (
            "Start", "End", "StartTimeZone", "EndTimeZone", "StartTimeZoneId", "MeetingTimeZone"))
        + f'</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>',
        version=version)
    assert answer.response_codes == ["NoError"], answer.content
    return answer


def test_zone_less_times_are_read_in_start_and_end_time_zone(alex):
    item_id = _calendar_item(
        alex, "<t:Subject>Flight</t:Subject><t:Start>2030-01-15T09:00:00</t:Start><t:End>2030-01-15T12:00:00</t:End>"
              '<t:StartTimeZone Id="W. Europe Standard Time"/><t:EndTimeZone Id="Eastern Standard Time"/>')
    answer = _times(alex, item_id)
    assert answer.text("//t:CalendarItem/t:Start") == "2030-01-15T08:00:00Z"
    assert answer.text("//t:CalendarItem/t:End") == "2030-01-15T17:00:00Z"
    assert answer.first("//t:CalendarItem/t:StartTimeZone").get("Id") == "W. Europe Standard Time"
    assert answer.first("//t:CalendarItem/t:EndTimeZone").get("Id") == "Eastern Standard Time"
    assert answer.text("//t:CalendarItem/t:StartTimeZoneId") == "W. Europe Standard Time"
    # Exchange2007 has neither: it gets MeetingTimeZone with the zone's offsets.
    old = _times(alex, item_id, version="Exchange2007_SP1")
    assert not old.xpath("//t:CalendarItem/t:StartTimeZone")
    zone = old.first("//t:CalendarItem/t:MeetingTimeZone")
    assert zone.get("TimeZoneName") == "W. Europe Standard Time"
    assert old.text("//t:CalendarItem/t:MeetingTimeZone/t:BaseOffset") == "-PT1H"
    assert old.text("//t:CalendarItem/t:MeetingTimeZone/t:Daylight/t:RelativeYearlyRecurrence/t:Month") == "March"


def test_meeting_time_zone_and_time_zone_context(alex):
    item_id = _calendar_item(
        alex, "<t:Subject>Old</t:Subject><t:Start>2030-01-15T09:00:00</t:Start><t:End>2030-01-15T10:00:00</t:End>"
              '<t:MeetingTimeZone TimeZoneName="Pacific Standard Time"/>', version="Exchange2007_SP1")
    answer = _times(alex, item_id)
    assert answer.text("//t:CalendarItem/t:Start") == "2030-01-15T17:00:00Z"
    assert answer.first("//t:CalendarItem/t:StartTimeZone").get("Id") == "Pacific Standard Time"
    header = ('<t:TimeZoneContext><t:TimeZoneDefinition Id="Tokyo Standard Time"/></t:TimeZoneContext>')
    item_id = _calendar_item(alex, "<t:Subject>Ctx</t:Subject><t:Start>2030-01-15T09:00:00</t:Start>"
                                   "<t:End>2030-01-15T10:00:00</t:End>", header=header)
    answer = _times(alex, item_id)
    assert answer.text("//t:CalendarItem/t:Start") == "2030-01-15T00:00:00Z"
    assert answer.first("//t:CalendarItem/t:StartTimeZone").get("Id") == "Tokyo Standard Time"
    # Without any zone the item is in UTC, and says so.
    item_id = _calendar_item(alex, "<t:Subject>Plain</t:Subject><t:Start>2030-01-15T09:00:00Z</t:Start>"
                                   "<t:End>2030-01-15T10:00:00Z</t:End>")
    assert _times(alex, item_id).first("//t:CalendarItem/t:StartTimeZone").get("Id") == "UTC"


def test_unknown_zone_id_is_refused(alex):
    answer = alex.call('<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>'
                       "<t:Start>2030-01-15T09:00:00</t:Start><t:End>2030-01-15T10:00:00</t:End>"
                       '<t:StartTimeZone Id="Atlantis Standard Time"/></t:CalendarItem></m:Items></m:CreateItem>')
    assert "ErrorTimeZone" in answer.content.decode()


def test_all_day_event_is_snapped_to_midnight_in_its_zone(alex):
    item_id = _calendar_item(
        alex, "<t:Subject>Offsite</t:Subject><t:Start>2030-01-15T10:30:00</t:Start><t:End>2030-01-16T15:00:00</t:End>"
              '<t:IsAllDayEvent>true</t:IsAllDayEvent><t:StartTimeZone Id="Tokyo Standard Time"/>'
              '<t:EndTimeZone Id="Tokyo Standard Time"/>')
    answer = _times(alex, item_id)
    # Midnight in Tokyo (UTC+9) on the 15th, and the following midnight after the 16th.
    assert answer.text("//t:CalendarItem/t:Start") == "2030-01-14T15:00:00Z"
    assert answer.text("//t:CalendarItem/t:End") == "2030-01-16T15:00:00Z"


def test_update_reads_zone_less_times_in_the_zone_it_sets(alex):
    item_id = _calendar_item(alex, "<t:Subject>Moved</t:Subject><t:Start>2030-01-15T09:00:00Z</t:Start>"
                                   "<t:End>2030-01-15T10:00:00Z</t:End>")
    header = '<t:TimeZoneContext><t:TimeZoneDefinition Id="Pacific Standard Time"/></t:TimeZoneContext>'
    answer = alex.call(
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone">'
        f'<m:ItemChanges><t:ItemChange><t:ItemId Id="{item_id}"/><t:Updates>'
        '<t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem>'
        "<t:Start>2030-01-16T09:00:00</t:Start></t:CalendarItem></t:SetItemField>"
        '<t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem>'
        "<t:End>2030-01-16T10:00:00</t:End></t:CalendarItem></t:SetItemField>"
        '<t:SetItemField><t:FieldURI FieldURI="calendar:StartTimeZone"/><t:CalendarItem>'
        '<t:StartTimeZone Id="Tokyo Standard Time"/></t:CalendarItem></t:SetItemField>'
        "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>", header=header)
    assert answer.response_codes == ["NoError"], answer.content
    times = _times(alex, item_id)
    # 09:00 Tokyo, not 09:00 in the TimeZoneContext's Pacific zone
    assert times.text("//t:CalendarItem/t:Start") == "2030-01-16T00:00:00Z"
    assert times.text("//t:CalendarItem/t:End") == "2030-01-16T01:00:00Z"
    assert times.first("//t:CalendarItem/t:StartTimeZone").get("Id") == "Tokyo Standard Time"
