"""GetUserAvailability, GetServerTimeZones and time zones in requests."""

from __future__ import annotations

import datetime as dt

import pytest
from exchangelib import EWSDateTime, EWSTimeZone
from exchangelib.errors import ErrorMailRecipientNotFound

from .ews import UTC_ZONE
from .test_exchangelib_roundtrip import account

LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
# Pacific time as a SerializableTimeZone: UTC-8, daylight (UTC-7) from the 2nd Sunday of
# March 02:00 to the 1st Sunday of November 02:00.
PACIFIC_ZONE = (
    "<t:TimeZone><t:Bias>480</t:Bias>"
    "<t:StandardTime><t:Bias>0</t:Bias><t:Time>02:00:00</t:Time><t:DayOrder>1</t:DayOrder>"
    "<t:Month>11</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime>"
    "<t:DaylightTime><t:Bias>-60</t:Bias><t:Time>02:00:00</t:Time><t:DayOrder>2</t:DayOrder>"
    "<t:Month>3</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>"
)


def availability(soap, addresses, start, end, view="DetailedMerged", interval=60, zone=UTC_ZONE):
    data = "".join(f"<t:MailboxData><t:Email><t:Address>{a}</t:Address></t:Email>"
                   "<t:AttendeeType>Required</t:AttendeeType></t:MailboxData>" for a in addresses)
    return soap.call(
        f"<m:GetUserAvailabilityRequest>{zone}<m:MailboxDataArray>{data}</m:MailboxDataArray>"
        f"<t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>{start}</t:StartTime><t:EndTime>{end}</t:EndTime>"
        f"</t:TimeWindow><t:MergedFreeBusyIntervalInMinutes>{interval}</t:MergedFreeBusyIntervalInMinutes>"
        f"<t:RequestedView>{view}</t:RequestedView></t:FreeBusyViewOptions></m:GetUserAvailabilityRequest>")


def test_exchangelib_free_busy_in_a_local_zone(emulator, alex):
    alex.create_meeting("Lunch", *LUNCH, rooms=("Rainier@contoso.com",))
    organizer = account(emulator, "AlexW@contoso.com")
    copenhagen = EWSTimeZone("Europe/Copenhagen")
    start = EWSDateTime(2026, 12, 1, 10, tzinfo=copenhagen)  # 09:00 UTC
    views = list(organizer.protocol.get_free_busy_info(
        accounts=[(organizer, "Organizer", False), ("AdeleV@contoso.com", "Required", False),
                  ("Rainier@contoso.com", "Room", False), ("nobody@contoso.com", "Required", False)],
        start=start, end=start + dt.timedelta(hours=6), merged_free_busy_interval=60,
        requested_view="DetailedMerged"))
    mine, adeles, rooms, nobodys = views
    assert mine.merged == "000200"  # busy 12:00-13:00 UTC, the 4th hour from 09:00 UTC
    assert adeles.merged == "000100"  # her copy is tentative until she answers
    assert rooms.merged == "000200"  # the room accepted
    (event,) = rooms.calendar_events
    assert event.busy_type == "Busy" and event.details.subject == "Lunch"
    assert event.start == EWSDateTime(2026, 12, 1, 12, tzinfo=EWSTimeZone("UTC"))
    assert isinstance(nobodys, ErrorMailRecipientNotFound)


def test_views_carry_what_they_name(alex):
    alex.create_meeting("Lunch", *LUNCH, attendees=())
    window = ("2026-12-01T09:00:00Z", "2026-12-01T15:00:00Z")

    merged_only = availability(alex, ["AlexW@contoso.com"], *window, view="MergedOnly")
    assert merged_only.text("//t:MergedFreeBusy") == "000200"
    assert merged_only.xpath("//t:CalendarEventArray") == []

    free_busy = availability(alex, ["AlexW@contoso.com"], *window, view="FreeBusy")
    assert free_busy.xpath("//t:MergedFreeBusy") == []
    assert free_busy.text("//t:CalendarEvent/t:BusyType") == "Busy"
    assert free_busy.xpath("//t:CalendarEventDetails") == []

    detailed = availability(alex, ["AlexW@contoso.com"], *window, view="Detailed", interval=30)
    assert detailed.text("//t:FreeBusyViewType") == "Detailed"
    assert detailed.text("//t:CalendarEventDetails/t:Subject") == "Lunch"
    assert detailed.text("//t:CalendarEventDetails/t:IsMeeting") == "false"


def test_unknown_mailbox_is_that_entrys_error(alex):
    answer = availability(alex, ["AlexW@contoso.com", "ghost@contoso.com"], *LUNCH)
    classes = [m.get("ResponseClass") for m in answer.xpath("//m:FreeBusyResponse/m:ResponseMessage")]
    assert classes == ["Success", "Error"]
    assert answer.response_codes == ["NoError", "ErrorMailRecipientNotFound"]


def test_limits(alex):
    too_many = availability(alex, [f"u{n}@contoso.com" for n in range(101)], *LUNCH)
    assert too_many.status == 500 and too_many.fault_code == "ErrorMailboxDataArrayTooBig"
    assert "actual size = 101" in too_many.text("//faultstring")
    too_long = availability(alex, ["AlexW@contoso.com"], "2026-12-01T00:00:00Z", "2027-01-13T00:00:00Z")
    assert too_long.fault_code == "ErrorTimeIntervalTooBig"
    backwards = availability(alex, ["AlexW@contoso.com"], LUNCH[1], LUNCH[0])
    assert backwards.fault_code == "ErrorInvalidTimeInterval"
    assert availability(alex, ["AlexW@contoso.com"], *LUNCH, interval=4).fault_code == "ErrorSchemaValidation"


def test_time_window_in_the_requests_own_zone(alex):
    alex.create_meeting("Late", "2026-12-01T17:00:00Z", "2026-12-01T18:00:00Z", attendees=())
    # 09:00-11:00 Pacific in December is 17:00-19:00 UTC.
    answer = availability(alex, ["AlexW@contoso.com"], "2026-12-01T09:00:00", "2026-12-01T11:00:00",
                          view="MergedOnly", zone=PACIFIC_ZONE)
    assert answer.text("//t:MergedFreeBusy") == "20"
    # In July daylight time applies: 09:00-10:00 PDT is 16:00-17:00 UTC.
    alex.create_meeting("Summer", "2026-07-01T16:00:00Z", "2026-07-01T17:00:00Z", attendees=())
    summer = availability(alex, ["AlexW@contoso.com"], "2026-07-01T09:00:00", "2026-07-01T10:00:00",
                          view="MergedOnly", zone=PACIFIC_ZONE)
    assert summer.text("//t:MergedFreeBusy") == "2"


def test_time_zone_context_reads_naive_times(alex):
    header = '<t:TimeZoneContext><t:TimeZoneDefinition Id="Pacific Standard Time"/></t:TimeZoneContext>'
    created = alex.call('<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>'
                        "<t:Subject>Standup</t:Subject><t:Start>2026-12-01T09:00:00</t:Start>"
                        "<t:End>2026-12-01T09:15:00</t:End></t:CalendarItem></m:Items></m:CreateItem>",
                        header=header)
    meeting_id = created.first("//t:CalendarItem/t:ItemId").get("Id")
    stored = alex.get(meeting_id)
    assert (stored.text("//t:Start"), stored.text("//t:End")) == ("2026-12-01T17:00:00Z", "2026-12-01T17:15:00Z")
    bad = alex.call("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>"
                    '<t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>',
                    header=header.replace("Pacific", "Atlantis"))
    assert bad.status == 500 and bad.fault_code == "ErrorTimeZone"


@pytest.mark.parametrize("zone_id, periods, rules", [
    ("Romance Standard Time", [("Standard", "-PT60M"), ("Daylight", "-PT120M")],
     [("Daylight", "PT2H", "3", "Sunday", "-1"), ("Standard", "PT3H", "10", "Sunday", "-1")]),
    ("Pacific Standard Time", [("Standard", "PT480M"), ("Daylight", "PT420M")],
     [("Daylight", "PT2H", "3", "Sunday", "2"), ("Standard", "PT2H", "11", "Sunday", "1")]),
    ("Tokyo Standard Time", [("Standard", "-PT540M")], []),
])
def test_server_time_zones_follow_tzdata(alex, zone_id, periods, rules):
    answer = alex.call('<m:GetServerTimeZones ReturnFullTimeZoneData="true"><m:Ids>'
                       f"<t:Id>{zone_id}</t:Id></m:Ids></m:GetServerTimeZones>")
    assert answer.response_codes == ["NoError"]
    assert [(p.get("Name"), p.get("Bias")) for p in answer.xpath("//t:Period")] == periods
    found = [(t.findtext("{*}To").rsplit("-", 1)[1], t.findtext("{*}TimeOffset"), t.findtext("{*}Month"),
              t.findtext("{*}DayOfWeek"), t.findtext("{*}Occurrence"))
             for t in answer.xpath("//t:RecurringDayTransition")]
    assert found == rules


def test_server_time_zones_unknown_id(alex):
    answer = alex.call("<m:GetServerTimeZones><m:Ids><t:Id>Atlantis Time</t:Id></m:Ids></m:GetServerTimeZones>")
    assert answer.response_codes == ["ErrorTimeZone"]


def test_requested_view_defaults_to_free_busy(alex):
    alex.create_meeting("Lunch", *LUNCH, attendees=())
    answer = alex.call(
        f"<m:GetUserAvailabilityRequest>{UTC_ZONE}<m:MailboxDataArray><t:MailboxData><t:Email>"
        "<t:Address>AlexW@contoso.com</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType>"
        "</t:MailboxData></m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow>"
        f"<t:StartTime>{LUNCH[0]}</t:StartTime><t:EndTime>{LUNCH[1]}</t:EndTime></t:TimeWindow>"
        "</t:FreeBusyViewOptions></m:GetUserAvailabilityRequest>")
    assert answer.text("//t:FreeBusyViewType") == "FreeBusy"
    assert answer.text("//t:CalendarEvent/t:BusyType") == "Busy"


def test_free_busy_views_carry_working_hours_in_a_zone_exchangelib_maps(emulator):
    from exchangelib.properties import TimeZone

    organizer = account(emulator, "AlexW@contoso.com")
    start = EWSDateTime(2026, 12, 1, 8, tzinfo=EWSTimeZone("UTC"))
    (view,) = list(organizer.protocol.get_free_busy_info(
        accounts=[(organizer, "Organizer", False)], start=start, end=start + dt.timedelta(hours=6)))
    assert isinstance(view.working_hours_timezone, TimeZone)
    zones = list(organizer.protocol.get_timezones(return_full_timezone_data=True))
    # a zone of the server's own list with no offset and no daylight saving (UTC or an equal one)
    assert view.working_hours_timezone.to_server_timezone(zones, 2026) in ("UTC", "Greenwich Standard Time")
    assert view.working_hours_timezone.bias == 0
    assert [(p.weekdays, p.start, p.end) for p in view.working_hours] == [
        ([1, 2, 3, 4, 5], dt.time(8), dt.time(17))]
