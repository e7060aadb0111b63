"""Prefer: outlook.timezone (Windows and IANA names), calendarView, calendars and groups,
users, translateExchangeIds, mail folders and paging."""

from __future__ import annotations

import pytest

from ews_propose.server import EmulatorServer, ServerConfig

from .graph import ADELE, ALEX, LUNCH, GraphLine
from .stores import store_for


@pytest.fixture
def server(tmp_path):
    srv = EmulatorServer(ServerConfig(port=0, store=store_for(tmp_path, "store.sqlite3"))).start()
    yield srv
    srv.stop()


@pytest.fixture
def alex(server):
    line = GraphLine(server.graph_url, ALEX[1])
    yield line
    line.close()


@pytest.mark.parametrize("zone, local", [
    ("Pacific Standard Time", "2019-08-15T12:00:00.0000000"),
    ("America/Los_Angeles", "2019-08-15T12:00:00.0000000"),
    ("W. Europe Standard Time", "2019-08-15T21:00:00.0000000"),
    ("Europe/Berlin", "2019-08-15T21:00:00.0000000"),
    ("Tokyo Standard Time", "2019-08-16T04:00:00.0000000"),
    ("Asia/Kolkata", "2019-08-16T00:30:00.0000000"),
    ("UTC", "2019-08-15T19:00:00.0000000"),
])
def test_prefer_timezone_windows_and_iana(alex, zone, local):
    event = alex.post("/me/events", LUNCH).json()
    r = alex.get(f"/me/events/{event['id']}", headers={"Prefer": f'outlook.timezone="{zone}"'})
    assert r.headers["Preference-Applied"] == f'outlook.timezone="{zone}"'
    assert r.json()["start"] == {"dateTime": local, "timeZone": zone}
    assert r.json()["createdDateTime"].endswith("Z")  # stays UTC


def test_without_prefer_answers_are_utc(alex):
    event = alex.post("/me/events", LUNCH)
    assert "Preference-Applied" not in event.headers
    assert event.json()["start"] == {"dateTime": "2019-08-15T19:00:00.0000000", "timeZone": "UTC"}


@pytest.mark.parametrize("start", [
    {"dateTime": "2019-08-15T21:00:00", "timeZone": "Europe/Berlin"},
    {"dateTime": "2019-08-15T21:00:00.0000000", "timeZone": "W. Europe Standard Time"},
    {"dateTime": "2019-08-15T19:00:00Z", "timeZone": "UTC"},
    {"dateTime": "2019-08-15T19:00:00"},
])
def test_request_times_in_any_zone(alex, start):
    body = {**LUNCH, "start": start, "end": {"dateTime": "2019-08-15T20:00:00", "timeZone": "UTC"}}
    event = alex.post("/me/events", body).json()
    assert event["start"]["dateTime"] == "2019-08-15T19:00:00.0000000"


def test_calendar_view(alex):
    alex.post("/me/events", LUNCH)
    alex.post("/me/events", {**LUNCH, "subject": "Next week",
                             "start": {"dateTime": "2019-08-22T12:00:00", "timeZone": "UTC"},
                             "end": {"dateTime": "2019-08-22T13:00:00", "timeZone": "UTC"}})
    r = alex.get("/me/calendarView", startDateTime="2019-08-15T00:00:00-07:00", endDateTime="2019-08-16T00:00:00-07:00")
    assert [e["subject"] for e in r.json()["value"]] == ["Let's go for lunch"]
    r = alex.get("/me/calendar/calendarView", startDateTime="2019-08-01T00:00:00", endDateTime="2019-09-01T00:00:00")
    assert sorted(e["subject"] for e in r.json()["value"]) == ["Let's go for lunch", "Next week"]
    r = alex.get("/me/calendarView", startDateTime="2019-08-20T00:00:00Z", endDateTime="2019-08-21T00:00:00Z")
    assert r.json()["value"] == []


def test_calendars_and_groups(alex, server):
    calendar = alex.get("/me/calendar").json()
    assert calendar["isDefaultCalendar"] is True and calendar["owner"]["address"] == "AlexW@contoso.com"
    assert alex.get(f"/me/calendars/{calendar['id']}").json()["id"] == calendar["id"]
    [group] = alex.get("/me/calendarGroups").json()["value"]
    assert [c["id"] for c in alex.get(f"/me/calendarGroups/{group['id']}/calendars").json()["value"]] == [calendar["id"]]
    adele = GraphLine(server.graph_url, ADELE[1])
    assert adele.get(f"/me/calendars/{calendar['id']}").status_code == 404
    event = alex.post(f"/me/calendars/{calendar['id']}/events", LUNCH)
    assert event.status_code == 201
    listed = alex.get(f"/me/calendarGroups/{group['id']}/calendars/{calendar['id']}/events").json()["value"]
    assert [e["id"] for e in listed] == [event.json()["id"]]


def test_users(alex):
    me = alex.get("/me").json()
    assert (me["displayName"], me["givenName"], me["surname"]) == ("Alex Wilber", "Alex", "Wilber")
    assert alex.get(f"/users/{me['id']}").json()["mail"] == "AlexW@contoso.com"
    everyone = alex.get("/users").json()["value"]
    assert {u["mail"] for u in everyone} >= {"AlexW@contoso.com", "AdeleV@contoso.com", "Rainier@contoso.com"}
    assert alex.get("/users/nobody@contoso.com").status_code == 404


def test_translate_exchange_ids(alex):
    event = alex.post("/me/events", LUNCH).json()
    r = alex.post("/me/translateExchangeIds", {"inputIds": [event["id"]], "sourceIdType": "restId",
                                               "targetIdType": "ewsId"})
    [pair] = r.json()["value"]
    assert pair["sourceId"] == event["id"] and "-" not in pair["targetId"] and "_" not in pair["targetId"]
    back = alex.post("/me/translateExchangeIds", {"InputIds": [pair["targetId"]], "SourceIdType": "ewsId",
                                                  "TargetIdType": "restId"}).json()["value"][0]
    assert back["targetId"] == event["id"]
    assert alex.post("/me/translateExchangeIds", {"inputIds": ["x"], "sourceIdType": "nope",
                                                  "targetIdType": "ewsId"}).status_code == 400


def test_mail_folders_and_paging(alex):
    for n in range(5):
        alex.post("/me/events", {**LUNCH, "subject": f"Lunch {n}"})
    folders = {f["displayName"]: f for f in alex.get("/me/mailFolders").json()["value"]}
    assert folders["Sent Items"]["totalItemCount"] == 5
    assert alex.get(f"/me/mailFolders/{folders['Sent Items']['id']}").json()["displayName"] == "Sent Items"
    seen, path = [], "/me/mailFolders/SentItems/messages"
    params = {"$top": 2, "$count": "true", "$select": "subject"}
    while path:
        page = alex.get(path, **params).json()
        assert page.get("@odata.count", 5) == 5
        seen += [m["subject"] for m in page["value"]]
        assert all(set(m) <= {"@odata.type", "@odata.etag", "id", "subject"} for m in page["value"])
        path, params = (page["@odata.nextLink"].removeprefix(alex.root), {}) if "@odata.nextLink" in page else (None, {})
    assert seen == [f"Lunch {n}" for n in reversed(range(5))]


def test_message_query_options(alex, server):
    adele = GraphLine(server.graph_url, ADELE[1])
    megan = GraphLine(server.graph_url, "megan-demo-graph-token")
    attendees = [{"emailAddress": {"address": a}, "type": "required"} for a in ("AdeleV@contoso.com", "MeganB@contoso.com")]
    for subject in ("Alpha", "Beta"):
        alex.post("/me/events", {**LUNCH, "subject": subject, "attendees": attendees})
    for line, action in ((adele, "accept"), (megan, "decline")):
        for message in line.messages():
            event = line.get(f"/me/messages/{message['id']}", **{"$expand": "microsoft.graph.eventMessage/event"})
            assert line.post(f"/me/events/{event.json()['event']['id']}/{action}", {}).status_code == 202
    responses = alex.messages(**{"$filter": "isof('microsoft.graph.eventMessageResponse')"})
    assert len(responses) == 4 and all(m["@odata.type"].endswith("eventMessageResponse") for m in responses)
    everything = alex.messages()
    assert len(everything) == 6  # four answers in the Inbox, two requests in Sent Items
    declined = alex.messages(**{"$filter": "responseType eq 'declined' and from/emailAddress/address eq 'meganb@contoso.com'"})
    assert sorted(m["subject"] for m in declined) == ["Declined: Alpha", "Declined: Beta"]
    either = alex.messages(**{"$filter": "subject eq 'Accepted: Alpha' or subject eq 'Declined: Beta'"})
    assert sorted(m["subject"] for m in either) == ["Accepted: Alpha", "Declined: Beta"]
    assert alex.messages(**{"$filter": "isRead ne false"}) == [m for m in everything if m["isRead"]]
    first, last = min(m["receivedDateTime"] for m in everything), max(m["receivedDateTime"] for m in everything)
    assert len(alex.messages(**{"$filter": f"receivedDateTime ge {first} and receivedDateTime le {last}"})) == 6
    newest = alex.messages(**{"$filter": f"receivedDateTime gt {last}"})
    assert newest == []
    assert alex.messages(**{"$filter": "receivedDateTime lt 2019-01-01T00:00:00Z"}) == []
    ordered = alex.messages(**{"$filter": "subject ne 'x' and isRead eq false", "$orderby": "subject desc"})
    assert [m["subject"] for m in ordered] == sorted((m["subject"] for m in ordered), key=str.lower, reverse=True)
    r = alex.get("/me/messages", **{"$filter": "isRead eq false", "$orderby": "subject"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "InefficientFilter"
    by_subject = alex.messages(**{"$orderby": "subject"})
    assert [m["subject"] for m in by_subject] == sorted((m["subject"] for m in everything), key=str.lower)
    for bad in ("subject eq", "subject like 'x'", "(isRead eq true", "isof(3)"):
        r = alex.get("/me/messages", **{"$filter": bad})
        assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest", bad
    events = alex.get("/me/events", **{"$filter": "startswith(subject,'al')", "$count": "true"}).json()
    assert [e["subject"] for e in events["value"]] == ["Alpha"] and events["@odata.count"] == 1


def test_get_schedule(alex, server):
    alex.post("/me/events", {**LUNCH, "attendees": [*LUNCH["attendees"], {
        "emailAddress": {"address": "Rainier@contoso.com"}, "type": "resource"}]})
    body = {"schedules": ["AdeleV@contoso.com", "Rainier@contoso.com", "nobody@contoso.com"],
            "startTime": {"dateTime": "2019-08-15T11:00:00", "timeZone": "Pacific Standard Time"},
            "endTime": {"dateTime": "2019-08-15T15:00:00", "timeZone": "Pacific Standard Time"},
            "availabilityViewInterval": 60}
    r = alex.post("/me/calendar/getSchedule", body, headers={"Prefer": 'outlook.timezone="Pacific Standard Time"'})
    assert r.status_code == 200, r.text
    adele, room, nobody = r.json()["value"]
    # Adele has not answered: tentative 12:00-14:00; the room accepted at once: busy.
    assert adele["availabilityView"] == "0110" and room["availabilityView"] == "0220"
    [item] = room["scheduleItems"]
    assert item["status"] == "busy" and item["subject"] == "Let's go for lunch"
    assert item["start"] == {"dateTime": "2019-08-15T12:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert adele["workingHours"]["daysOfWeek"][0] == "monday"
    assert nobody["error"]["responseCode"] == "ErrorMailRecipientNotFound"
    r = alex.post("/me/calendar/getSchedule", {**body, "availabilityViewInterval": 2})
    assert r.status_code == 400
    r = alex.post("/me/calendar/getSchedule", {**body, "endTime": {"dateTime": "2019-10-15T15:00:00", "timeZone": "UTC"}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "ErrorTimeIntervalTooBig"


def test_find_meeting_times(alex, server):
    adele = GraphLine(server.graph_url, ADELE[1])
    monday = {"start": {"dateTime": "2026-12-07T10:00:00", "timeZone": "UTC"},
              "end": {"dateTime": "2026-12-07T11:00:00", "timeZone": "UTC"}}
    alex.post("/me/events", {**LUNCH, **monday})
    [request] = adele.get("/me/messages", **{"$expand": "microsoft.graph.eventMessage/event"}).json()["value"]
    assert adele.post(f"/me/events/{request['event']['id']}/accept", {}).status_code == 202
    body = {"attendees": [{"type": "required", "emailAddress": {"address": "AdeleV@contoso.com"}}],
            "timeConstraint": {"activityDomain": "work", "timeSlots": [{
                "start": {"dateTime": "2026-12-07T09:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2026-12-07T12:00:00", "timeZone": "UTC"}}]},
            "meetingDuration": "PT1H", "returnSuggestionReasons": True,
            "locationConstraint": {"locations": [{"displayName": "Harry's Bar"}]}}
    r = alex.post("/me/findMeetingTimes", body)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["emptySuggestionsReason"] == ""
    slots = [(s["meetingTimeSlot"]["start"]["dateTime"], s["confidence"]) for s in result["meetingTimeSuggestions"]]
    assert slots == [("2026-12-07T09:00:00.0000000", 100.0), ("2026-12-07T11:00:00.0000000", 100.0)]
    first = result["meetingTimeSuggestions"][0]
    assert first["organizerAvailability"] == "free" and first["suggestionReason"]
    assert first["attendeeAvailability"] == [{"attendee": {"type": "required", "emailAddress": {
        "address": "AdeleV@contoso.com", "name": "AdeleV@contoso.com"}}, "availability": "free"}]
    assert first["locations"] == [{"displayName": "Harry's Bar"}]

    with_ghost = {**body, "attendees": [*body["attendees"], {"type": "required",
                                                             "emailAddress": {"address": "ghost@contoso.com"}}]}
    ghost = alex.post("/me/findMeetingTimes", with_ghost).json()["meetingTimeSuggestions"][0]
    assert ghost["confidence"] == pytest.approx((100 + 100 + 49) / 3)
    busy = {**body, "timeConstraint": {"timeSlots": [{"start": monday["start"], "end": monday["end"]}]}}
    empty = alex.post("/me/findMeetingTimes", busy).json()
    assert empty["meetingTimeSuggestions"] == [] and empty["emptySuggestionsReason"] == "organizerUnavailable"
    assert alex.post("/me/findMeetingTimes", {**body, "meetingDuration": "an hour"}).status_code == 400


def test_patch_and_delete_messages(alex, server):
    adele = GraphLine(server.graph_url, ADELE[1])
    alex.post("/me/events", LUNCH)
    [request] = adele.messages()
    assert request["isRead"] is False
    r = adele.patch(f"/me/messages/{request['id']}", {"isRead": True, "categories": ["Lunch"]})
    assert r.status_code == 200 and r.json()["isRead"] is True and r.json()["categories"] == ["Lunch"]
    assert adele.get("/me/mailFolders/inbox").json()["unreadItemCount"] == 0
    assert adele.patch(f"/me/messages/{request['id']}", {"subject": "x"}).status_code == 400
    assert adele.delete(f"/me/messages/{request['id']}").status_code == 204
    [moved] = adele.get("/me/mailFolders/deleteditems/messages").json()["value"]
    assert moved["id"] == request["id"] and adele.get("/me/mailFolders/inbox/messages").json()["value"] == []
    assert adele.delete(f"/me/messages/{request['id']}").status_code == 204
    assert adele.get(f"/me/messages/{request['id']}").status_code == 404


def test_prefer_body_content_type_and_immutable_ids(alex):
    html_event = alex.post("/me/events", LUNCH).json()
    text_event = alex.post("/me/events", {**LUNCH, "body": {"contentType": "text", "content": "a < b\nnext line"}}).json()
    r = alex.get(f"/me/events/{html_event['id']}", headers={"Prefer": 'outlook.body-content-type="text"'})
    assert r.headers["Preference-Applied"] == 'outlook.body-content-type="text"'
    assert r.json()["body"] == {"contentType": "text", "content": "Does noon work for you?"}
    r = alex.get(f"/me/events/{text_event['id']}", headers={
        "Prefer": 'outlook.body-content-type="html", outlook.timezone="UTC", IdType="ImmutableId"'})
    assert r.headers["Preference-Applied"] == ('outlook.timezone="UTC", outlook.body-content-type="html", '
                                                'IdType="ImmutableId"')
    content = r.json()["body"]["content"]
    assert r.json()["body"]["contentType"] == "html" and "a &lt; b<br>" in content and "<body>" in content
    assert r.json()["id"] == text_event["id"]
    assert alex.get("/me/events", headers={"Prefer": 'outlook.body-content-type="rtf"'}).status_code == 400
