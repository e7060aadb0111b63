"""One store, two surfaces: what happens through Graph is seen through EWS (exchangelib,
unchanged) and the other way round. Every EWS answer is also checked against wsdl/ by
the ``emulator`` fixture."""

from __future__ import annotations

import datetime as dt

from exchangelib import Attendee, CalendarItem, EWSDateTime, EWSTimeZone, Mailbox
from exchangelib.items import MeetingRequest, MeetingResponse

from ews_propose.graph.ids import ews_id, rest_id

from .graph import ADELE, ALEX, LUNCH, PST, SEED_PROPOSAL, GraphLine
from .test_exchangelib_roundtrip import account, only

UTC = EWSTimeZone("UTC")
START = EWSDateTime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)
PACIFIC = "Pacific Standard Time"


def graph(emulator, who) -> GraphLine:
    return GraphLine(emulator.server.graph_url, who[1], prefer=PST)


def test_graph_proposal_read_through_exchangelib(emulator):
    alex_g, adele_g = graph(emulator, ALEX), graph(emulator, ADELE)
    event = alex_g.post("/me/events", LUNCH).json()
    request = adele_g.get("/me/messages", **{"$expand": "microsoft.graph.eventMessage/event"}).json()["value"][0]
    assert adele_g.post(f"/me/events/{request['event']['id']}/tentativelyAccept", SEED_PROPOSAL).status_code == 202

    alex = account(emulator, "AlexW@contoso.com")
    response = only(alex.inbox.all(), MeetingResponse)
    assert response.subject == "New Time Proposed: Let's go for lunch"
    # 2019-08-16 12:00 Pacific (daylight time) is 19:00 UTC
    assert response.proposed_start == EWSDateTime(2019, 8, 16, 19, 0, tzinfo=UTC)
    assert response.proposed_end == EWSDateTime(2019, 8, 16, 21, 0, tzinfo=UTC)
    assert response.response_type == "Tentative"
    assert response.associated_calendar_item_id.id == ews_id(event["id"])
    mine = alex.calendar.get(id=ews_id(event["id"]))
    (entry,) = mine.required_attendees
    assert entry.response_type == "Tentative" and entry.proposed_start == response.proposed_start
    # The Graph ids are the REST form of the EWS ids; the ChangeKey is the etag.
    assert rest_id(mine.id) == event["id"]
    assert mine.changekey == alex_g.get(f"/me/events/{event['id']}").json()["changeKey"]


def test_exchangelib_proposal_read_through_graph(emulator):
    alex, adele = account(emulator, "AlexW@contoso.com"), account(emulator, "AdeleV@contoso.com")
    meeting = CalendarItem(account=alex, folder=alex.calendar, subject="Lunch", location="Cafe", start=START,
                           end=START + HOUR, allow_new_time_proposal=True,
                           required_attendees=[Attendee(mailbox=Mailbox(email_address="AdeleV@contoso.com"))])
    meeting.save(send_meeting_invitations="SendToAllAndSaveCopy")
    request = only(adele.inbox.all(), MeetingRequest)
    request.tentatively_accept(proposed_start=START + dt.timedelta(days=1),
                               proposed_end=START + dt.timedelta(days=1) + HOUR, body="Tomorrow?")

    alex_g = graph(emulator, ALEX)
    [reply] = alex_g.get("/me/mailFolders/Inbox/messages").json()["value"]
    assert reply["@odata.type"] == "#microsoft.graph.eventMessageResponse"
    assert reply["subject"] == "New Time Proposed: Lunch" and reply["responseType"] == "tentativelyAccepted"
    # 2026-12-02 12:00 UTC is 04:00 Pacific (standard time)
    assert reply["proposedNewTime"]["start"] == {"dateTime": "2026-12-02T04:00:00.0000000",
                                                 "timeZone": "Pacific Standard Time"}
    expanded = alex_g.get(f"/me/messages/{reply['id']}", **{"$expand": "microsoft.graph.eventMessage/event"}).json()
    assert expanded["event"]["id"] == rest_id(meeting.id)
    [entry] = expanded["event"]["attendees"]
    assert entry["status"]["response"] == "tentativelyAccepted"
    assert entry["proposedNewTime"]["end"]["dateTime"] == "2026-12-02T05:00:00.0000000"


def test_organizer_moves_through_graph_attendee_sees_it_through_exchangelib(emulator):
    alex_g, adele_g = graph(emulator, ALEX), graph(emulator, ADELE)
    event = alex_g.post("/me/events", LUNCH).json()
    adele = account(emulator, "AdeleV@contoso.com")
    first = only(adele.inbox.all(), MeetingRequest)
    calendar_id = first.associated_calendar_item_id.id
    r = alex_g.patch(f"/me/events/{event['id']}", {"start": {"dateTime": "2019-08-16T12:00:00", "timeZone": PACIFIC},
                                                    "end": {"dateTime": "2019-08-16T14:00:00", "timeZone": PACIFIC}})
    assert r.status_code == 200, r.text
    update = only(adele.inbox.all(), MeetingRequest)
    assert update.meeting_request_type == "FullUpdate"
    assert update.start == EWSDateTime(2019, 8, 16, 19, 0, tzinfo=UTC)
    hers = adele.calendar.get(id=calendar_id)
    assert hers.start == update.start and hers.my_response_type == "NoResponseReceived"
    assert adele_g.get(f"/me/events/{rest_id(calendar_id)}").json()["start"]["dateTime"] == "2019-08-16T12:00:00.0000000"


def test_organizer_moves_through_exchangelib_attendee_sees_it_through_graph(emulator):
    alex = account(emulator, "AlexW@contoso.com")
    meeting = CalendarItem(account=alex, folder=alex.calendar, subject="Lunch", start=START, end=START + HOUR,
                           required_attendees=[Attendee(mailbox=Mailbox(email_address="AdeleV@contoso.com"))])
    meeting.save(send_meeting_invitations="SendToAllAndSaveCopy")
    adele_g = graph(emulator, ADELE)
    before = adele_g.get("/me/events").json()["value"]
    assert [e["subject"] for e in before] == ["Lunch"]
    meeting.start, meeting.end = START + dt.timedelta(days=2), START + dt.timedelta(days=2) + HOUR
    meeting.save(update_fields=["start", "end"], send_meeting_invitations="SendToAllAndSaveCopy")

    newest = adele_g.get("/me/messages").json()["value"][0]
    assert newest["@odata.type"] == "#microsoft.graph.eventMessageRequest"
    assert newest["meetingRequestType"] == "fullUpdate"
    assert newest["startDateTime"]["dateTime"] == "2026-12-03T04:00:00.0000000"
    outdated = adele_g.get("/me/mailFolders/deleteditems/messages").json()["value"]
    assert [m["isOutOfDate"] for m in outdated] == [True]
    [event] = adele_g.get("/me/calendar/events").json()["value"]
    assert event["id"] == before[0]["id"]
    assert event["start"] == {"dateTime": "2026-12-03T04:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert event["responseStatus"]["response"] == "notResponded"
