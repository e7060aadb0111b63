"""Seed 000's propose-new-time walkthrough over Graph, on a real socket and SQLite file,
and seed 003's action rules: every path form, the two 400s, accept and decline."""

from __future__ import annotations

import pytest

from ews_propose.graph.ids import rest_id
from ews_propose.rules.ids import new_item_id
from ews_propose.server import EmulatorServer, ServerConfig

from .graph import ADELE, ALEX, LUNCH, MEGAN, PST, SEED_PROPOSAL, GraphLine
from .stores import store_for


@pytest.fixture
def server(tmp_path):
    srv = EmulatorServer(ServerConfig(port=0, store=store_for(tmp_path, "store.sqlite3"))).start()
    yield srv
    srv.stop()


@pytest.fixture
def alex(server):
    line = GraphLine(server.graph_url, ALEX[1], prefer=PST)
    yield line
    line.close()


@pytest.fixture
def adele(server):
    line = GraphLine(server.graph_url, ADELE[1])
    yield line
    line.close()


def invite(alex: GraphLine, **changes) -> dict:
    r = alex.post("/me/events", {**LUNCH, **changes})
    assert r.status_code == 201, r.text
    return r.json()


def adeles_event(adele: GraphLine) -> dict:
    """Step 2: the eventMessageRequest in Adele's Inbox, and its event."""
    r = adele.get("/me/mailFolders/inbox/messages", **{"$expand": "microsoft.graph.eventMessage/event"})
    requests_ = [m for m in r.json()["value"] if m["@odata.type"] == "#microsoft.graph.eventMessageRequest"]
    assert requests_, r.json()
    return requests_[0]["event"]


def test_seed_000_walkthrough(alex, adele):
    # 1. Alex invites Adele, allowing proposals.
    r = alex.post("/me/events", LUNCH)
    assert r.status_code == 201
    assert r.headers["Preference-Applied"] == PST
    event = r.json()
    assert event["@odata.context"].endswith("/events/$entity")
    assert event["@odata.etag"] == f'W/"{event["changeKey"]}"'
    assert event["subject"] == "Let's go for lunch" and event["bodyPreview"] == "Does noon work for you?"
    assert event["start"] == {"dateTime": "2019-08-15T12:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert event["end"] == {"dateTime": "2019-08-15T14:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert event["originalStartTimeZone"] == "Pacific Standard Time"
    assert event["responseStatus"] == {"response": "organizer", "time": "0001-01-01T00:00:00Z"}
    assert event["attendees"] == [{"type": "required", "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
                                   "emailAddress": {"name": "Adele Vance", "address": "AdeleV@contoso.com"}}]
    assert event["organizer"] == {"emailAddress": {"name": "Alex Wilber", "address": "AlexW@contoso.com"}}
    assert event["location"] == {"displayName": "Harry's Bar", "locationType": "default",
                                 "uniqueId": "Harry's Bar", "uniqueIdType": "private"}
    assert event["locations"] == [event["location"]]
    assert event["allowNewTimeProposals"] is True and event["isOrganizer"] is True
    assert (event["type"], event["showAs"], event["importance"], event["sensitivity"]) == (
        "singleInstance", "busy", "normal", "normal")
    assert event["uid"] and event["iCalUId"] == event["uid"]
    assert event["webLink"].startswith("https://") and event["recurrence"] is None

    # 2. Adele sees an eventMessageRequest allowing proposals and proposes the next day.
    r = adele.get("/me/messages", **{"$expand": "microsoft.graph.eventMessage/event"})
    request = r.json()["value"][0]
    assert request["@odata.type"] == "#microsoft.graph.eventMessageRequest"
    assert request["meetingMessageType"] == "meetingRequest" and request["allowNewTimeProposals"] is True
    assert request["sender"]["emailAddress"]["address"] == "AlexW@contoso.com"
    adele_event = request["event"]
    assert adele_event["id"] != event["id"] and adele_event["uid"] == event["uid"]
    assert adele_event["responseStatus"]["response"] == "notResponded"
    r = adele.post(f"/me/events/{adele_event['id']}/tentativelyAccept", SEED_PROPOSAL)
    assert (r.status_code, r.content) == (202, b"")
    assert "Content-Type" not in r.headers

    # 3. Alex's newest message is Adele's eventMessageResponse with the proposal.
    r = alex.get("/me/messages", **{"$top": 1})
    assert r.headers["Preference-Applied"] == PST
    page = r.json()
    assert "$skip=1" in page["@odata.nextLink"] and "$top=1" in page["@odata.nextLink"]
    [reply] = page["value"]
    assert reply["@odata.type"] == "#microsoft.graph.eventMessageResponse"
    assert reply["subject"] == "New Time Proposed: Let's go for lunch"
    assert reply["bodyPreview"] == "Can you make the next day instead?"
    assert reply["sender"] == reply["from"] == {"emailAddress": {"name": "Adele Vance", "address": "AdeleV@contoso.com"}}
    assert reply["toRecipients"] == [{"emailAddress": {"name": "Alex Wilber", "address": "AlexW@contoso.com"}}]
    # Graph's schema spelling (seed 000's sample writes "meetingTentativelyAccepted"; docs/graph.md)
    assert reply["meetingMessageType"] == "meetingTenativelyAccepted"
    assert reply["responseType"] == "tentativelyAccepted"
    assert reply["startDateTime"] == {"dateTime": "2019-08-15T12:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert reply["proposedNewTime"] == {
        "start": {"dateTime": "2019-08-16T12:00:00.0000000", "timeZone": "Pacific Standard Time"},
        "end": {"dateTime": "2019-08-16T14:00:00.0000000", "timeZone": "Pacific Standard Time"}}
    assert (reply["isOutOfDate"], reply["isAllDay"], reply["type"]) == (False, False, "singleInstance")
    assert reply["location"]["displayName"] == "Harry's Bar"
    second = alex.get(page["@odata.nextLink"].removeprefix(alex.root)).json()
    assert second["value"] and second["value"][0]["id"] != reply["id"]

    # 4. The organizer's event carries the proposal on Adele's attendee entry.
    select = "subject,allowNewTimeProposals,start,end,attendees,organizer"
    r = alex.get(f"/me/events/{event['id']}", **{"$select": select})
    shown = r.json()
    assert set(shown) == {"@odata.context", "@odata.etag", "id", *select.split(",")}
    assert shown["@odata.context"].endswith(f"/events({select})/$entity")
    [entry] = shown["attendees"]
    assert entry["status"]["response"] == "tentativelyAccepted"
    assert entry["status"]["time"].endswith("Z") and not entry["status"]["time"].startswith("0001")
    assert entry["proposedNewTime"] == reply["proposedNewTime"]

    # 5. Alex moves the meeting to the proposed time: attendees reset, updates sent.
    r = alex.patch(f"/me/events/{event['id']}", {"start": reply["proposedNewTime"]["start"],
                                                  "end": reply["proposedNewTime"]["end"]})
    assert r.status_code == 200
    moved = r.json()
    assert moved["start"] == {"dateTime": "2019-08-16T12:00:00.0000000", "timeZone": "Pacific Standard Time"}
    assert moved["changeKey"] != shown["@odata.etag"].split('"')[1]
    assert moved["attendees"] == [{"type": "required",
                                   "status": {"response": "notResponded", "time": "4501-01-01T00:00:00Z"},
                                   "emailAddress": {"name": "Adele Vance", "address": "AdeleV@contoso.com"}}]
    update = adele.messages()[0]
    assert update["@odata.type"] == "#microsoft.graph.eventMessageRequest"
    assert update["meetingRequestType"] == "fullUpdate"
    assert update["startDateTime"]["dateTime"] == "2019-08-16T19:00:00.0000000"  # UTC without Prefer


def test_no_proposal_means_no_proposed_new_time(alex, adele):
    event = invite(alex)
    r = adele.post(f"/me/events/{adeles_event(adele)['id']}/tentativelyAccept", {"comment": "maybe"})
    assert r.status_code == 202
    reply = alex.messages()[0]
    assert reply["subject"] == "Tentative: Let's go for lunch"
    assert reply["responseType"] == "tentativelyAccepted" and "proposedNewTime" not in reply
    entry = alex.get(f"/me/events/{event['id']}").json()["attendees"][0]
    assert entry["status"]["response"] == "tentativelyAccepted" and "proposedNewTime" not in entry


@pytest.mark.parametrize("action, prefix, response, meeting_type", [
    ("accept", "Accepted: ", "accepted", "meetingAccepted"),
    ("decline", "Declined: ", "declined", "meetingDeclined"),
])
def test_accept_and_decline(alex, adele, action, prefix, response, meeting_type):
    event = invite(alex)
    mine = adeles_event(adele)
    assert adele.post(f"/me/events/{mine['id']}/{action}", {"comment": "ok", "sendResponse": True}).status_code == 202
    reply = alex.messages()[0]
    assert (reply["subject"], reply["responseType"], reply["meetingMessageType"]) == (
        "Accepted: Let's go for lunch".replace("Accepted: ", prefix), response, meeting_type)
    assert "proposedNewTime" not in reply
    assert alex.get(f"/me/events/{event['id']}").json()["attendees"][0]["status"]["response"] == response
    assert adele.get(f"/me/events/{mine['id']}").json()["responseStatus"]["response"] == response


def test_decline_with_a_proposal(alex, adele):
    invite(alex)
    slot = {"start": {"dateTime": "2019-08-17T10:00:00", "timeZone": "America/Los_Angeles"},
            "end": {"dateTime": "2019-08-17T11:00:00", "timeZone": "America/Los_Angeles"}}
    r = adele.post(f"/me/events/{adeles_event(adele)['id']}/decline", {"proposedNewTime": slot})
    assert r.status_code == 202
    reply = alex.messages()[0]
    assert reply["responseType"] == "declined" and reply["subject"].startswith("New Time Proposed: ")
    assert reply["proposedNewTime"]["start"]["dateTime"] == "2019-08-17T10:00:00.0000000"


def test_proposal_refused_when_the_organizer_disallows_it(alex, adele):
    event = invite(alex, allowNewTimeProposals=False)
    r = adele.post(f"/me/events/{adeles_event(adele)['id']}/tentativelyAccept", SEED_PROPOSAL)
    assert r.status_code == 400
    assert "allownewtimeproposal" in r.json()["error"]["message"].lower()
    assert alex.get(f"/me/events/{event['id']}").json()["attendees"][0]["status"]["response"] == "none"
    assert not [m for m in alex.messages() if m["@odata.type"].endswith("Response")]


def test_proposal_refused_without_sending_a_response(alex, adele):
    event = invite(alex)
    r = adele.post(f"/me/events/{adeles_event(adele)['id']}/tentativelyAccept",
                   {**SEED_PROPOSAL, "sendResponse": "false"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "ErrorInvalidRequest"
    assert alex.get(f"/me/events/{event['id']}").json()["attendees"][0]["status"]["response"] == "none"


def test_send_response_false_changes_only_the_attendee(alex, adele):
    event = invite(alex)
    mine = adeles_event(adele)
    assert adele.post(f"/me/events/{mine['id']}/accept", {"sendResponse": False}).status_code == 202
    assert adele.get(f"/me/events/{mine['id']}").json()["responseStatus"]["response"] == "accepted"
    assert not [m for m in alex.messages() if m["@odata.type"].endswith("Response")]
    assert alex.get(f"/me/events/{event['id']}").json()["attendees"][0]["status"]["response"] == "none"


def test_accept_takes_no_proposal(alex, adele):
    invite(alex)
    r = adele.post(f"/me/events/{adeles_event(adele)['id']}/accept", SEED_PROPOSAL)
    assert r.status_code == 400 and "proposedNewTime" in r.json()["error"]["message"]


def test_organizer_cannot_answer_own_meeting(alex):
    event = invite(alex)
    r = alex.post(f"/me/events/{event['id']}/tentativelyAccept", SEED_PROPOSAL)
    assert r.status_code == 400


PATH_FORMS = [
    "/me/events/{e}",
    "/users/{u}/events/{e}",
    "/me/calendar/events/{e}",
    "/users/{u}/calendar/events/{e}",
    "/me/calendars/{c}/events/{e}",
    "/users/{u}/calendars/{c}/events/{e}",
    "/me/calendarGroups/{g}/calendars/{c}/events/{e}",
    "/users/{u}/calendarGroups/{g}/calendars/{c}/events/{e}",
    "/me/calendargroups/{g}/calendars/{c}/events/{e}",  # the markdown's spelling
    "/me/calendargroup/calendars/{c}/events/{e}",  # decline's extra form
    "/users/{u}/calendargroup/calendars/{c}/events/{e}",
]


@pytest.mark.parametrize("action", ["tentativelyAccept", "accept", "decline", "TENTATIVELYACCEPT"])
@pytest.mark.parametrize("form", PATH_FORMS)
def test_every_path_form_answers_202(alex, adele, server, form, action):
    invite(alex)
    mine = adeles_event(adele)
    [calendar] = adele.get("/me/calendars").json()["value"]
    [group] = adele.get("/me/calendarGroups").json()["value"]
    assert adele.get(f"/me/calendarGroups/{group['id']}/calendars").json()["value"][0]["id"] == calendar["id"]
    user = adele.get("/me").json()
    upn = user["userPrincipalName"] if PATH_FORMS.index(form) % 2 else user["id"]
    path = form.format(u=upn, c=calendar["id"], g=group["id"], e=mine["id"]) + "/" + action
    body = SEED_PROPOSAL if action.lower() != "accept" else {"comment": "yes"}
    r = adele.post(path, body)
    assert (r.status_code, r.content) == (202, b""), r.text
    reply = alex.messages()[0]
    assert reply["@odata.type"] == "#microsoft.graph.eventMessageResponse"
    assert reply["sender"]["emailAddress"]["address"] == "AdeleV@contoso.com"


def test_path_forms_check_their_calendar_and_user(alex, adele):
    invite(alex)
    mine = adeles_event(adele)
    alexs_calendar = alex.get("/me/calendar").json()["id"]
    r = adele.post(f"/me/calendars/{alexs_calendar}/events/{mine['id']}/accept", {})
    assert r.status_code == 404 and r.json()["error"]["code"] == "ErrorItemNotFound"
    r = adele.post(f"/users/AlexW@contoso.com/events/{mine['id']}/accept", {})
    assert r.status_code == 403
    r = adele.post(f"/users/nobody@contoso.com/events/{mine['id']}/accept", {})
    assert r.status_code == 404 and r.json()["error"]["code"] == "ErrorInvalidUser"


def test_cancel_and_delete_send_cancellations(alex, adele, server):
    event = invite(alex)
    mine = adeles_event(adele)
    r = adele.post(f"/me/events/{mine['id']}/cancel", {"comment": "no"})
    assert r.status_code == 400  # only the organizer cancels
    assert alex.post(f"/me/events/{event['id']}/cancel", {"comment": "Rain check."}).status_code == 202
    notice = adele.messages()[0]
    assert notice["@odata.type"] == "#microsoft.graph.eventMessage"
    assert notice["meetingMessageType"] == "meetingCancelled"
    assert notice["subject"] == "Canceled: Let's go for lunch" and notice["bodyPreview"] == "Rain check."
    assert adele.get(f"/me/events/{mine['id']}").json()["isCancelled"] is True

    second = invite(alex, subject="Second lunch")
    assert alex.delete(f"/me/events/{second['id']}").status_code == 204
    assert adele.messages()[0]["subject"] == "Canceled: Second lunch"
    assert alex.get(f"/me/calendar/events/{second['id']}").status_code == 404


def test_stale_if_match_is_412(alex):
    event = invite(alex)
    moved = alex.patch(f"/me/events/{event['id']}", {"subject": "Lunch!"},
                       headers={"If-Match": event["@odata.etag"]})
    assert moved.status_code == 200 and moved.json()["subject"] == "Lunch!"
    r = alex.patch(f"/me/events/{event['id']}", {"subject": "Late"}, headers={"If-Match": event["@odata.etag"]})
    assert r.status_code == 412
    assert alex.get(f"/me/events/{event['id']}").json()["subject"] == "Lunch!"


def test_megan_sees_nothing_of_it(alex, adele, server):
    event = invite(alex)
    megan = GraphLine(server.graph_url, MEGAN[1])
    assert megan.messages() == []
    r = megan.get(f"/me/events/{event['id']}")
    missing = megan.get("/me/events/" + rest_id(new_item_id()))
    assert r.status_code == missing.status_code == 404
    assert r.json()["error"]["code"] == missing.json()["error"]["code"] == "ErrorItemNotFound"
    assert r.json()["error"]["message"] == missing.json()["error"]["message"]
    megan.close()


def test_patch_attendees_invites_and_cancels(alex, adele, server):
    event = invite(alex)
    megan = GraphLine(server.graph_url, MEGAN[1])
    r = alex.patch(f"/me/events/{event['id']}", {"attendees": [
        {"emailAddress": {"address": "MeganB@contoso.com"}, "type": "optional"}]})
    assert r.status_code == 200
    assert [(a["emailAddress"]["name"], a["type"]) for a in r.json()["attendees"]] == [("Megan Bowen", "optional")]
    [request] = megan.messages()
    assert request["@odata.type"] == "#microsoft.graph.eventMessageRequest"
    assert request["meetingRequestType"] == "newMeetingRequest"
    notice = adele.messages()[0]
    assert notice["meetingMessageType"] == "meetingCancelled"
    r = adele.patch(f"/me/events/{notice['id']}", {"subject": "x"})
    assert r.status_code == 404  # a message id is no event
    megan.close()
