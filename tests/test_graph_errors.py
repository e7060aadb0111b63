"""Every refusal of the Graph surface is Graph's error JSON with the right status: auth,
ids, bodies, methods, media types, sizes, zones, query options."""

from __future__ import annotations

import socket

import pytest
import requests

from ews_propose.graph.ids import rest_id
from ews_propose.rules.ids import new_item_id
from ews_propose.server import EmulatorServer, ServerConfig

from .graph import ADELE, ALEX, LUNCH, MEGAN, GraphLine, assert_graph_error
from .stores import store_for


@pytest.fixture
def server(tmp_path):
    srv = EmulatorServer(ServerConfig(port=0, store=store_for(tmp_path, "store.sqlite3"),
                                      max_request_bytes=64 * 1024)).start()
    yield srv
    srv.stop()


@pytest.fixture
def alex(server):
    line = GraphLine(server.graph_url, ALEX[1])
    yield line
    line.close()


@pytest.fixture
def event(alex):
    return alex.post("/me/events", LUNCH).json()


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong-token-1234567890", "Basic QWxleFc6YWxleC1kZW1vLXB3",
                                    "bearer  alex-demo-graph-token-x"])
def test_without_a_valid_token_401(server, header):
    headers = {"Authorization": header} if header else {}
    r = requests.get(server.graph_url + "/me", headers=headers, timeout=10)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert assert_graph_error(r)["code"] == "InvalidAuthenticationToken"


def test_token_is_the_directory_token(server):
    for smtp, token in (ALEX, ADELE, MEGAN):
        me = GraphLine(server.graph_url, token).get("/me").json()
        assert me["userPrincipalName"] == me["mail"] == smtp
        assert me["id"] == GraphLine(server.graph_url, token).get(f"/users/{smtp}").json()["id"]


@pytest.mark.parametrize("method, tail, body", [
    ("GET", "", None), ("PATCH", "", {"subject": "x"}), ("DELETE", "", None),
    ("POST", "/accept", {}), ("POST", "/tentativelyAccept", {}), ("POST", "/decline", {}), ("POST", "/cancel", {}),
])
def test_other_mailboxes_ids_are_not_found(server, alex, event, method, tail, body):
    adele = GraphLine(server.graph_url, ADELE[1])
    theirs = adele.call(method, f"/me/events/{event['id']}{tail}", body=body)
    missing = adele.call(method, f"/me/events/{rest_id(new_item_id())}{tail}", body=body)
    assert theirs.status_code == missing.status_code == 404
    a, b = theirs.json()["error"], missing.json()["error"]
    assert (a["code"], a["message"]) == (b["code"], b["message"]) == (
        "ErrorItemNotFound", "The specified object was not found in the store.")
    assert alex.get(f"/me/events/{event['id']}").json()["subject"] == "Let's go for lunch"


def test_messages_and_events_do_not_cross(alex, event):
    sent = alex.get("/me/mailFolders/sentitems/messages").json()["value"]
    assert sent and sent[0]["@odata.type"] == "#microsoft.graph.eventMessageRequest"
    assert alex.get(f"/me/events/{sent[0]['id']}").status_code == 404
    assert alex.get(f"/me/messages/{event['id']}").status_code == 404
    assert alex.get(f"/me/mailFolders/inbox/messages/{sent[0]['id']}").status_code == 404
    assert alex.get(f"/me/mailFolders/sentitems/messages/{sent[0]['id']}").status_code == 200
    assert alex.get("/me/mailFolders/nosuchfolder/messages").status_code == 404


def test_malformed_id(alex):
    r = alex.get("/me/events/not-an-id")
    assert r.status_code == 400 and r.json()["error"]["code"] == "ErrorInvalidIdMalformed"


@pytest.mark.parametrize("raw, needle", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"subject": "x", "colour": "red"}', "'colour' does not exist on type 'microsoft.graph.event'"),
    (b'{"subject": 5}', "subject"),
    (b'{"start": {"dateTime": "2019-08-15T12:00:00", "timeZone": "UTC", "x": 1}}', "microsoft.graph.dateTimeTimeZone"),
    (b'{"subject": "x"}', "start and end"),
    (b'{"start": {"dateTime": "yesterday", "timeZone": "UTC"}, "end": {"dateTime": "2019-08-15T12:00:00"}}',
     "yesterday"),
    (b'{"attendees": [{"emailAddress": {"address": "a@b.c"}, "type": "boss"}], "start": {"dateTime": "2019-08-15T12:00:00"},'
     b' "end": {"dateTime": "2019-08-15T13:00:00"}}', "attendees.0.type"),
    (b'{"start": {"dateTime": "2019-08-15T12:00:00"}, "end": {"dateTime": "2019-08-15T11:00:00"}}', "end"),
    (b"\xff\xfe\x00garbage", "not valid JSON"),
])
def test_bad_bodies_are_400(alex, raw, needle):
    r = alex.post("/me/events", raw=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert needle in r.json()["error"]["message"], r.json()
    assert alex.get("/me/events").json()["value"] == []


def test_unknown_zone_400(alex):
    r = alex.post("/me/events", {**LUNCH, "start": {"dateTime": "2019-08-15T12:00:00", "timeZone": "Mars/Olympus"}})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "TimeZoneNotSupportedException" and "'Mars/Olympus'" in error["message"]
    r = alex.get("/me/events", headers={"Prefer": 'outlook.timezone="Nowhere Standard Time"'})
    assert r.status_code == 400 and r.json()["error"]["code"] == "TimeZoneNotSupportedException"


def test_method_not_allowed_405(alex, event):
    for method, path in (("PUT", f"/me/events/{event['id']}"), ("DELETE", "/me/events"),
                         ("GET", f"/me/events/{event['id']}/accept")):
        r = alex.call(method, path)
        assert r.status_code == 405, (method, path)
        assert "Allow" in r.headers


def test_unsupported_media_type_415(alex):
    r = alex.post("/me/events", raw=b"subject=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    r = alex.post("/me/events", raw=b'{"subject": "x"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_too_large_413(alex):
    big = {**LUNCH, "body": {"contentType": "text", "content": "x" * (80 * 1024)}}
    r = alex.post("/me/events", big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "RequestEntityTooLarge"


def test_too_large_without_content_length_413(server):
    host, port = "127.0.0.1", server.port
    chunk = b"x" * 8192
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"POST /v1.0/me/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alex-demo-graph-token\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(10):
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before the whole body is sent
        answer = b""
        while b'"RequestEntityTooLarge"' not in answer:  # the answer may come in pieces
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"RequestEntityTooLarge"' in answer


def test_unknown_segments_and_query_options(alex):
    r = alex.get("/me/nothingHere")
    assert r.status_code == 400 and "nothingHere" in r.json()["error"]["message"]
    assert alex.get("/me/events", **{"$top": "many"}).status_code == 400
    assert alex.get("/me/events", **{"$select": "subject,nosuch"}).status_code == 400
    assert alex.get("/me/messages", **{"$expand": "attachments"}).status_code == 400
    r = alex.get("/me/calendarView")
    assert r.status_code == 400 and "StartDateTime" in r.json()["error"]["message"]


def test_the_ews_surface_is_unchanged_beside_graph(server):
    r = requests.get(server.endpoint.replace("Exchange.asmx", "Services.wsdl"), timeout=10)
    assert r.status_code == 200 and b"wsdl" in r.content
    r = requests.get(server.base_url + "/v1.0x/me", timeout=10)
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/plain")  # EWS's own 404


def test_unsupported_query_options_are_400(alex, event):
    for path, option in (("/me/messages", "$search"), ("/me/events", "$expand"), ("/me", "$select"),
                         (f"/me/events/{event['id']}", "$top"), ("/me/messages", "$skipToken"),
                         ("/me/calendars", "$filter"), ("/me/events", "$bogus")):
        r = alex.get(path, **{option: "x"})
        assert r.status_code == 400 and option in r.json()["error"]["message"], (path, option)
    assert alex.get("/me/events", **{"$select": "subject", "$top": "1", "$count": "true"}).status_code == 200


@pytest.mark.parametrize("raw", [
    b"[" * 5000 + b"]" * 5000,
    b'{"subject":' * 3000 + b'"x"' + b"}" * 3000,
    b'{"a":' * 100 + b'1' + b"}" * 100,
    b'{"subject": "\\ud800", "start": {"dateTime": "2019-08-15T12:00:00"}, "end": {"dateTime": "2019-08-15T13:00:00"}}',
    b'{"subject": "a\\u0000b", "start": {"dateTime": "2019-08-15T12:00:00"}, "end": {"dateTime": "2019-08-15T13:00:00"}}',
    b'{"subject": "bell\\u0007", "start": {"dateTime": "2019-08-15T12:00:00"}, "end": {"dateTime": "2019-08-15T13:00:00"}}',
])
def test_hostile_bodies_are_400(server, alex, raw):
    r = alex.post("/me/events", raw=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text[:300]
    assert alex.get("/me/events").json()["value"] == []
    # nothing an EWS client would choke on was stored
    assert requests.get(server.endpoint.replace("Exchange.asmx", "Services.wsdl"), timeout=10).status_code == 200


def test_text_through_graph_reads_through_ews(server, alex):
    subject = "Tab\there, newline\nthere, \u00e9, \U0001F600, <&>"
    event = alex.post("/me/events", {**LUNCH, "subject": subject}).json()
    from ews_propose.graph.ids import ews_id

    from .ews import Soap
    answer = Soap(server.endpoint, "AlexW@contoso.com").get(ews_id(event["id"]))
    assert answer.text("//t:Subject") == subject


def test_one_location_only(alex):
    two = [{"displayName": "A"}, {"displayName": "B"}]
    r = alex.post("/me/events", {**{k: v for k, v in LUNCH.items() if k != "location"}, "locations": two})
    assert r.status_code == 400 and "locations" in r.json()["error"]["message"]
    one = alex.post("/me/events", {**{k: v for k, v in LUNCH.items() if k != "location"}, "locations": two[:1]})
    assert one.status_code == 201 and one.json()["location"]["displayName"] == "A"


@pytest.mark.parametrize("start, zone", [("0001-01-01T00:00:00", "Tokyo Standard Time"),
                                         ("9999-12-31T23:00:00", "Pacific Standard Time"),
                                         ("0001-01-01T10:00:00", "UTC"), ("1600-12-31T23:59:59", "UTC")])
def test_times_outside_the_mailbox_range_are_400(alex, start, zone):
    body = {**LUNCH, "start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": "2019-08-15T12:00:00", "timeZone": "UTC"}}
    r = alex.post("/me/events", body)
    assert r.status_code == 400 and "1601 to 4500" in r.json()["error"]["message"]


def test_times_at_the_edges_of_the_range(alex):
    body = {**LUNCH, "start": {"dateTime": "1601-01-01T00:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "1601-01-01T01:00:00", "timeZone": "UTC"}}
    event = alex.post("/me/events", body).json()
    r = alex.get(f"/me/events/{event['id']}", headers={"Prefer": 'outlook.timezone="Pacific Standard Time"'})
    assert r.status_code == 200 and r.json()["start"]["dateTime"] == "1600-12-31T16:07:02.0000000"
