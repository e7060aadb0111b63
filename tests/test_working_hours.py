"""GetUserAvailability's WorkingHours (per mailbox, from the directory TOML) and
SuggestionsViewOptions answered with a SuggestionsResponse, over raw SOAP on a socket,
with occurrences of a recurring series counted as busy time."""

from __future__ import annotations

import pytest

from ews_propose.directory import Directory, DirectoryError
from ews_propose.server import EmulatorServer, ServerConfig

from .conftest import schema_errors
from .ews import Soap

DIRECTORY = """
[[mailbox]]
smtp = "AlexW@contoso.com"
password = "alex-demo-pw"
token = "alex-demo-graph-token"
working_hours = { days = ["monday", "tuesday"], start = "09:00", end = "17:30", zone = "W. Europe Standard Time" }

[[mailbox]]
smtp = "AdeleV@contoso.com"
password = "adele-demo-pw"

[[mailbox]]
smtp = "Rainier@contoso.com"
password = "rainier-demo-pw"
kind = "room"
"""


@pytest.fixture
def server(tmp_path):
    path = tmp_path / "directory.toml"
    path.write_text(DIRECTORY)
    srv = EmulatorServer(ServerConfig(port=0, store=str(tmp_path / "s.sqlite3")),
                         directory=Directory.load(str(path))).start()
    try:
        yield srv
    finally:
        srv.stop()


def _availability(soap: Soap, addresses, body: str):
    data = "".join(f"<t:MailboxData><t:Email><t:Address>{a}</t:Address></t:Email>"
                   "<t:AttendeeType>Required</t:AttendeeType></t:MailboxData>" for a in addresses)
    answer = soap.call(
        "<m:GetUserAvailabilityRequest><t:TimeZone><t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias>"
        "<t:Time>00:00:00</t:Time><t:DayOrder>1</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek>"
        "</t:StandardTime><t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>1</t:DayOrder>"
        "<t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>"
        f"<m:MailboxDataArray>{data}</m:MailboxDataArray>{body}</m:GetUserAvailabilityRequest>")
    assert answer.status == 200, answer.content
    assert not schema_errors(answer.content), schema_errors(answer.content)
    return answer


FREE_BUSY = ("<t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>2030-01-14T00:00:00</t:StartTime>"
             "<t:EndTime>2030-01-15T00:00:00</t:EndTime></t:TimeWindow>"
             "<t:RequestedView>FreeBusy</t:RequestedView></t:FreeBusyViewOptions>")


def test_working_hours_per_mailbox_and_the_default(server):
    alex = Soap(server.endpoint, "AlexW@contoso.com")
    answer = _availability(alex, ["AlexW@contoso.com", "AdeleV@contoso.com"], FREE_BUSY)
    hours = answer.xpath("//t:WorkingHours")
    assert len(hours) == 2
    assert answer.text("(//t:WorkingHours)[1]/t:WorkingPeriodArray/t:WorkingPeriod/t:DayOfWeek") == "Monday Tuesday"
    assert answer.text("(//t:WorkingHours)[1]//t:StartTimeInMinutes") == "540"
    assert answer.text("(//t:WorkingHours)[1]//t:EndTimeInMinutes") == "1050"
    assert answer.text("(//t:WorkingHours)[1]/t:TimeZone/t:Bias") == "-60"
    assert answer.text("(//t:WorkingHours)[1]/t:TimeZone/t:DaylightTime/t:Month") == "3"
    # Adele has no hours in the file: Monday to Friday, 08:00-17:00 UTC.
    assert answer.text("(//t:WorkingHours)[2]//t:WorkingPeriod/t:DayOfWeek") == "Monday Tuesday Wednesday Thursday Friday"
    assert answer.text("(//t:WorkingHours)[2]/t:TimeZone/t:Bias") == "0"


def test_bad_working_hours_name_the_entry(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text('[[mailbox]]\nsmtp = "a@b.com"\npassword = "x"\nworking_hours = { start = "18:00", end = "09:00" }\n')
    with pytest.raises(DirectoryError, match="a@b.com.*'end' must be after 'start'"):
        Directory.load(str(path))


def test_suggestions_rate_slots_by_attendee_conflicts(server):
    alex = Soap(server.endpoint, "AlexW@contoso.com")
    adele = Soap(server.endpoint, "AdeleV@contoso.com")
    # Adele is busy every Monday 10:00-11:00 UTC (a weekly series).
    created = adele.call(
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem><t:Subject>Standing</t:Subject>'
        "<t:Start>2030-01-07T10:00:00Z</t:Start><t:End>2030-01-07T11:00:00Z</t:End>"
        "<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek>"
        "</t:WeeklyRecurrence><t:NoEndRecurrence><t:StartDate>2030-01-07</t:StartDate></t:NoEndRecurrence>"
        "</t:Recurrence></t:CalendarItem></m:Items></m:CreateItem>")
    assert created.response_codes == ["NoError"], created.content
    answer = _availability(
        alex, ["AlexW@contoso.com", "AdeleV@contoso.com"],
        "<t:SuggestionsViewOptions><t:GoodThreshold>25</t:GoodThreshold><t:MaximumResultsByDay>48"
        "</t:MaximumResultsByDay><t:MeetingDurationInMinutes>60</t:MeetingDurationInMinutes>"
        "<t:MinimumSuggestionQuality>Poor</t:MinimumSuggestionQuality><t:DetailedSuggestionsWindow>"
        "<t:StartTime>2030-01-14T00:00:00</t:StartTime><t:EndTime>2030-01-16T00:00:00</t:EndTime>"
        "</t:DetailedSuggestionsWindow></t:SuggestionsViewOptions>")
    assert answer.text("//m:SuggestionsResponse/m:ResponseMessage/m:ResponseCode") == "NoError"
    days = answer.xpath("//t:SuggestionDayResult")
    assert len(days) == 2
    monday = {s.findtext("{*}MeetingTime"): s.findtext("{*}SuggestionQuality")
              for s in days[0].iter("{*}Suggestion")}
    # Alex works 09:00-17:30 Berlin (08:00-16:30 UTC) on Monday: an hour-long meeting
    # fits from 08:00Z to 15:30Z; at 10:00Z one of two attendees (50%) is busy: Poor.
    assert monday["2030-01-14T08:00:00Z"] == "Excellent"
    assert monday["2030-01-14T10:00:00Z"] == "Poor"
    assert monday["2030-01-14T09:30:00Z"] == "Poor"  # overlaps 10:00-10:30
    assert "2030-01-14T16:00:00Z" not in monday  # past Alex's working day
    conflict = [s for s in days[0].iter("{*}Suggestion") if s.findtext("{*}MeetingTime") == "2030-01-14T10:00:00Z"][0]
    assert [b.text for b in conflict.iter("{*}BusyType")] == ["Free", "Busy"]
    assert answer.text("(//t:SuggestionDayResult)[1]/t:DayQuality") == "Excellent"
    # Fair at least: the Poor slots are left out.
    fair = _availability(
        alex, ["AlexW@contoso.com", "AdeleV@contoso.com"],
        "<t:SuggestionsViewOptions><t:MeetingDurationInMinutes>60</t:MeetingDurationInMinutes>"
        "<t:DetailedSuggestionsWindow><t:StartTime>2030-01-14T00:00:00</t:StartTime>"
        "<t:EndTime>2030-01-15T00:00:00</t:EndTime></t:DetailedSuggestionsWindow></t:SuggestionsViewOptions>")
    times = [t.text for t in fair.xpath("//t:Suggestion/t:MeetingTime")]
    assert "2030-01-14T10:00:00Z" not in times and len(times) == 10  # MaximumResultsByDay's default


def test_graph_get_schedule_gives_the_same_working_hours(server):
    from .graph import GraphLine

    line = GraphLine(server.graph_url, "alex-demo-graph-token")
    try:
        r = line.post("/me/calendar/getSchedule", {
            "schedules": ["AlexW@contoso.com", "AdeleV@contoso.com"],
            "startTime": {"dateTime": "2030-01-14T00:00:00", "timeZone": "UTC"},
            "endTime": {"dateTime": "2030-01-15T00:00:00", "timeZone": "UTC"}})
        assert r.status_code == 200, r.text
        alex, adele = r.json()["value"]
        assert alex["workingHours"] == {"daysOfWeek": ["monday", "tuesday"], "startTime": "09:00:00.0000000",
                                        "endTime": "17:30:00.0000000", "timeZone": {"name": "W. Europe Standard Time"}}
        assert adele["workingHours"]["timeZone"] == {"name": "UTC"}
        assert adele["workingHours"]["startTime"] == "08:00:00.0000000"
        # findMeetingTimes keeps to the organizer's working day: Monday 09:00-17:30 Berlin time
        r = line.post("/me/findMeetingTimes", {
            "timeConstraint": {"timeSlots": [{"start": {"dateTime": "2030-01-14T00:00:00", "timeZone": "UTC"},
                                              "end": {"dateTime": "2030-01-15T00:00:00", "timeZone": "UTC"}}]},
            "meetingDuration": "PT1H", "maxCandidates": 100})
        assert r.status_code == 200, r.text
        starts = sorted(s["meetingTimeSlot"]["start"]["dateTime"] for s in r.json()["meetingTimeSuggestions"])
        assert starts[0].startswith("2030-01-14T08:00:00") and starts[-1].startswith("2030-01-14T15:30:00")
    finally:
        line.close()
