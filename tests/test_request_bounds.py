"""Issue 14, item 3: what one request costs follows the distinct work in it, with hard
bounds. An id named many times is read and written once; an attendee named many times
gets one copy; past ``--max-ids-per-request`` the batch stops with Exchange's codes
(ErrorTooManyObjectsOpened, then ErrorBatchProcessingStopped); a GetItem answer stops
at ``max_response_bytes``; more than ``--max-recipients`` attendees or recipients are
refused before anything is written."""

from __future__ import annotations

import time

import pytest

from ews_propose.rules.limits import Limits
from ews_propose.server import EmulatorServer, ServerConfig

from .ews import Soap
from .server_process import ServerProcess
from .stores import store_for

ALEX, ADELE, MEGAN, ROOM = "AlexW@contoso.com", "AdeleV@contoso.com", "MeganB@contoso.com", "Rainier@contoso.com"
LIMITS = Limits(max_ids_per_request=20, max_recipients=5, max_response_bytes=1024 * 1024)


@pytest.fixture
def server(tmp_path):
    srv = EmulatorServer(ServerConfig(port=0, store=store_for(tmp_path), limits=LIMITS)).start()
    yield srv
    srv.stop()


def save_message(soap: Soap, subject: str, body: str = "", to=()) -> str:
    recipients = "".join(f"<t:Mailbox><t:EmailAddress>{a}</t:EmailAddress></t:Mailbox>" for a in to)
    answer = soap.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
        f'<t:Subject>{subject}</t:Subject><t:Body BodyType="Text">{body}</t:Body>'
        + (f"<t:ToRecipients>{recipients}</t:ToRecipients>" if to else "")
        + "</t:Message></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    return answer.first("//t:Message/t:ItemId").get("Id")


def get_items(soap: Soap, ids) -> object:
    listed = "".join(f'<t:ItemId Id="{i}"/>' for i in ids)
    return soap.call(f"<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>"
                     f"<m:ItemIds>{listed}</m:ItemIds></m:GetItem>")


def attendees_xml(people) -> str:
    return "".join(f"<t:Attendee><t:Mailbox><t:EmailAddress>{a}</t:EmailAddress></t:Mailbox></t:Attendee>"
                   for a in people)


def meeting(soap: Soap, subject: str, required, resources=()):
    return soap.call(
        '<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:Items><t:CalendarItem>'
        f"<t:Subject>{subject}</t:Subject><t:Start>2030-05-06T10:00:00Z</t:Start><t:End>2030-05-06T11:00:00Z</t:End>"
        f"<t:RequiredAttendees>{attendees_xml(required)}</t:RequiredAttendees>"
        + (f"<t:Resources>{attendees_xml(resources)}</t:Resources>" if resources else "")
        + "</t:CalendarItem></m:Items></m:CreateItem>")


def count(soap: Soap, folder: str) -> int:
    return len(soap.find_ids(folder))


def test_an_id_named_many_times_stops_at_the_answer_size_bound(server):
    alex = Soap(server.endpoint, ALEX)
    big = save_message(alex, "big", "x" * 50_000)  # AllProperties writes it twice: Body and TextBody
    answer = get_items(alex, [big] * 20)
    codes = answer.response_codes
    assert len(codes) == 20
    # Ten copies of a 100 kB answer fit in 1 MiB; the eleventh stops the batch.
    assert codes[:10] == ["NoError"] * 10, codes
    assert codes[10] == "ErrorTooManyObjectsOpened"
    assert codes[11:] == ["ErrorBatchProcessingStopped"] * 9
    assert len(answer.content) < 1.2 * 1024 * 1024
    assert [el.text for el in answer.xpath("//t:Message/t:Subject")] == ["big"] * 10


def test_ids_past_the_per_request_bound_stop_the_batch(server):
    alex = Soap(server.endpoint, ALEX)
    small = save_message(alex, "small")
    answer = get_items(alex, [small] * 25)
    assert answer.response_codes == ["NoError"] * 20 + ["ErrorTooManyObjectsOpened"] + \
        ["ErrorBatchProcessingStopped"] * 4, answer.response_codes
    assert "at most 20" in answer.xpath("//m:MessageText")[0].text
    listed = "".join(f'<t:ItemId Id="{small}"/>' for _ in range(25))
    deleted = alex.call(f'<m:DeleteItem DeleteType="HardDelete"><m:ItemIds>{listed}</m:ItemIds></m:DeleteItem>')
    # The first deletes it; the repeats find nothing; past 20 the batch stops.
    assert deleted.response_codes == ["NoError"] + ["ErrorItemNotFound"] * 19 + ["ErrorTooManyObjectsOpened"] + \
        ["ErrorBatchProcessingStopped"] * 4, deleted.response_codes
    messages = "".join(f"<t:Message><t:Subject>n{n}</t:Subject></t:Message>" for n in range(22))
    created = alex.call(f'<m:CreateItem MessageDisposition="SaveOnly"><m:Items>{messages}</m:Items></m:CreateItem>')
    assert created.response_codes == ["NoError"] * 20 + ["ErrorTooManyObjectsOpened", "ErrorBatchProcessingStopped"]
    assert count(alex, "drafts") == 20


def test_an_attendee_named_many_times_gets_one_copy(server):
    alex, adele = Soap(server.endpoint, ALEX), Soap(server.endpoint, ADELE)
    room = Soap(server.endpoint, ROOM)
    began = time.perf_counter()
    made = meeting(alex, "Crowded", [ADELE] * 300 + ["adelev@CONTOSO.com", MEGAN], [ROOM] * 50)
    took = time.perf_counter() - began
    assert made.response_codes == ["NoError"], made.content
    item_id = made.first("//t:CalendarItem/t:ItemId").get("Id")
    got = alex.get(item_id)
    assert [el.text for el in got.xpath("//t:RequiredAttendees//t:EmailAddress")] == [ADELE, MEGAN]
    assert [el.text for el in got.xpath("//t:Resources//t:EmailAddress")] == [ROOM]
    assert count(adele, "inbox") == 1 and count(adele, "deleteditems") == 0
    assert len(adele.find_ids("calendar")) == 1
    # The room answered its one request at once (it went to Deleted Items).
    assert count(room, "inbox") == 0 and count(room, "deleteditems") == 1 and count(room, "calendar") == 1
    answers = alex.find_ids("inbox", "MeetingResponse")
    assert len(answers) == 1  # the room, once
    assert took < 5, took


def test_more_recipients_than_the_bound_are_refused_before_anything_is_written(server):
    alex, adele = Soap(server.endpoint, ALEX), Soap(server.endpoint, ADELE)
    crowd = [ADELE, MEGAN] + [f"guest{n}@example.org" for n in range(4)]
    refused = meeting(alex, "Too many", crowd)
    assert refused.response_codes == ["ErrorInvalidRecipients"], refused.content
    assert "at most 5" in refused.first("//m:MessageText").text
    assert count(alex, "calendar") == 0 and count(alex, "sentitems") == 0 and count(adele, "inbox") == 0
    recipients = "".join(f"<t:Mailbox><t:EmailAddress>{a}</t:EmailAddress></t:Mailbox>" for a in crowd)
    mail = alex.call('<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:Message><t:Subject>hi</t:Subject>'
                     f"<t:ToRecipients>{recipients}</t:ToRecipients></t:Message></m:Items></m:CreateItem>")
    assert mail.response_codes == ["ErrorInvalidRecipients"], mail.content
    assert count(adele, "inbox") == 0 and count(alex, "sentitems") == 0
    # Five distinct attendees, however often named, are within the bound.
    assert meeting(alex, "Fine", crowd[:5] * 10).response_codes == ["NoError"]


def test_the_bounds_are_set_from_the_command_line(tmp_path):
    proc = ServerProcess("--store", str(tmp_path / "s.sqlite3"), "--max-ids-per-request", "3",
                         "--max-recipients", "2")
    try:
        alex = Soap(proc.endpoint, ALEX)
        item = save_message(alex, "one")
        assert get_items(alex, [item] * 5).response_codes == ["NoError"] * 3 + [
            "ErrorTooManyObjectsOpened", "ErrorBatchProcessingStopped"]
        assert meeting(alex, "Three", [ADELE, MEGAN, ROOM]).response_codes == ["ErrorInvalidRecipients"]
    finally:
        proc.stop()


def restriction_of(count: int) -> str:
    comparisons = "".join(
        f'<t:IsEqualTo><t:FieldURI FieldURI="item:Subject"/><t:FieldURIOrConstant><t:Constant Value="s{n}"/>'
        "</t:FieldURIOrConstant></t:IsEqualTo>" for n in range(count - 1))
    return f"<m:Restriction><t:Or>{comparisons}</t:Or></m:Restriction>"


def test_a_restriction_has_at_most_255_search_expressions(server):
    alex = Soap(server.endpoint, ALEX)
    save_message(alex, "s7")

    def find(count: int):
        return alex.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
            f"{restriction_of(count)}"
            '<m:ParentFolderIds><t:DistinguishedFolderId Id="drafts"/></m:ParentFolderIds></m:FindItem>')

    within = find(255)  # the Or and 254 comparisons
    assert within.response_codes == ["NoError"] and len(within.xpath("//t:Message")) == 1
    over = find(256)
    assert over.response_codes == ["ErrorRestrictionTooLong"], over.content[:500]
    nested = ("<t:Not>" * 300 + '<t:Exists><t:FieldURI FieldURI="item:Subject"/></t:Exists>' + "</t:Not>" * 300)
    deep = alex.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
        f"<m:Restriction>{nested}</m:Restriction>"
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="drafts"/></m:ParentFolderIds></m:FindItem>')
    assert deep.status in (200, 500) and b"ErrorInternalServerError" not in deep.content, deep.content[:500]


def test_graph_shares_the_bounds(server):
    from .graph import ALEX as GRAPH_ALEX
    from .graph import GraphLine, assert_graph_error

    line = GraphLine(server.graph_url, GRAPH_ALEX[1])
    try:
        def event(addresses):
            return line.post("/me/events", {
                "subject": "Graph crowd", "start": {"dateTime": "2030-05-07T10:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2030-05-07T11:00:00", "timeZone": "UTC"},
                "attendees": [{"emailAddress": {"address": a}, "type": "required"} for a in addresses]})

        made = event([ADELE] * 30 + [MEGAN])
        assert made.status_code == 201, made.text
        assert [a["emailAddress"]["address"] for a in made.json()["attendees"]] == [ADELE, MEGAN]
        assert len(Soap(server.endpoint, ADELE).find_ids("inbox")) == 1
        refused = event([f"guest{n}@example.org" for n in range(6)])
        assert refused.status_code == 400 and "at most 5" in assert_graph_error(refused)["message"]
    finally:
        line.close()


def test_server_time_zones_are_worked_out_once_each_and_bounded(server):
    alex = Soap(server.endpoint, ALEX)

    def zones(count: int):
        ids = "<t:Id>Pacific Standard Time</t:Id>" * count
        return alex.call(f'<m:GetServerTimeZones ReturnFullTimeZoneData="true"><m:Ids>{ids}</m:Ids>'
                         "</m:GetServerTimeZones>")

    within = zones(20)
    assert within.response_codes == ["NoError"]
    assert len(within.xpath("//t:TimeZoneDefinition[@Id='Pacific Standard Time']")) == 20
    over = zones(21)
    assert over.response_codes == ["ErrorTooManyObjectsOpened"], over.content[:400]
    assert not over.xpath("//t:TimeZoneDefinition")
