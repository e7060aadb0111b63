"""Streaming notifications over the real HTTP connection: Subscribe
(StreamingSubscriptionRequest), GetStreamingEvents answered in chunks, one SOAP envelope
per part, held open for ConnectionTimeout minutes; push subscriptions, called back at a
real HTTP listener."""

from __future__ import annotations

import queue
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from lxml import etree

from ews_propose.server import EmulatorServer, ServerConfig

from .conftest import schema_errors
from .ews import NS, PASSWORDS, Soap, envelope

ALEX = "AlexW@contoso.com"


def streaming_subscription(soap: Soap, folder: str = "drafts") -> str:
    answer = soap.call(f'<m:Subscribe><m:StreamingSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId '
                       f'Id="{folder}"/></t:FolderIds><t:EventTypes><t:EventType>CreatedEvent</t:EventType>'
                       '<t:EventType>ModifiedEvent</t:EventType><t:EventType>DeletedEvent</t:EventType>'
                       "</t:EventTypes></m:StreamingSubscriptionRequest></m:Subscribe>")
    assert answer.response_codes == ["NoError"], answer.content
    assert answer.xpath("//m:Watermark") == []
    return answer.first("//m:SubscriptionId").text


def open_stream(endpoint: str, ids: list[str], minutes: int = 1) -> requests.Response:
    body = "".join(f"<t:SubscriptionId>{i}</t:SubscriptionId>" for i in ids)
    return requests.post(endpoint, data=envelope(
        f"<m:GetStreamingEvents><m:SubscriptionIds>{body}</m:SubscriptionIds>"
        f"<m:ConnectionTimeout>{minutes}</m:ConnectionTimeout></m:GetStreamingEvents>", "Exchange2013"),
        auth=(ALEX, PASSWORDS[ALEX]), headers={"Content-Type": "text/xml; charset=utf-8"}, stream=True,
        timeout=120)


def documents(response: requests.Response):
    """Each SOAP envelope of the streamed answer, as it arrives."""
    buffer = b""
    for chunk in response.iter_content(chunk_size=None):
        buffer += chunk
        while (end := buffer.find(b"</s:Envelope>")) != -1:
            end += len(b"</s:Envelope>")
            yield buffer[:end]
            buffer = buffer[end:]


def draft(soap: Soap, subject: str) -> str:
    answer = soap.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
                       f"<t:Subject>{subject}</t:Subject></t:Message></m:Items></m:CreateItem>")
    return answer.first("//t:Message/t:ItemId").get("Id")


def test_events_arrive_on_the_open_connection_until_the_timeout_closes_it(emulator, alex):
    sub_id = streaming_subscription(alex)
    first = draft(alex, "Before the connection")
    began = time.monotonic()
    response = open_stream(emulator.endpoint, [sub_id])
    assert response.status_code == 200
    assert response.headers.get("Transfer-Encoding") == "chunked"
    seen: list[tuple[str, str]] = []
    statuses = []
    second = None
    for doc in documents(response):
        assert not schema_errors(doc), schema_errors(doc)
        root = etree.fromstring(doc)
        statuses.append(root.findtext(".//m:ConnectionStatus", namespaces=NS))
        for event in root.iterfind(".//m:Notification/*", namespaces=NS):
            name = etree.QName(event).localname
            if name.endswith("Event"):
                seen.append((name, event.find("t:ItemId", namespaces=NS).get("Id")))
        if second is None and ("CreatedEvent", first) in seen:
            assert time.monotonic() - began < 5  # at once, not at the end
            second = draft(alex, "While connected")  # another call while the stream is open
        if statuses[-1] == "Closed":
            break
    elapsed = time.monotonic() - began
    assert ("CreatedEvent", first) in seen and ("CreatedEvent", second) in seen
    assert statuses[-1] == "Closed" and set(statuses[:-1]) == {"OK"}
    assert 60 <= elapsed < 75  # ConnectionTimeout 1: one minute


def test_unknown_and_pull_subscriptions_are_invalid_for_streaming(emulator, alex):
    pull = alex.call('<m:Subscribe><m:PullSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId Id="inbox"/>'
                     "</t:FolderIds><t:EventTypes><t:EventType>CreatedEvent</t:EventType></t:EventTypes>"
                     "<t:Timeout>5</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>")
    pull_id = pull.first("//m:SubscriptionId").text
    good = streaming_subscription(alex)
    response = open_stream(emulator.endpoint, [good, "AAA-", pull_id])
    assert "Transfer-Encoding" not in response.headers  # a whole answer, not a stream
    root = etree.fromstring(response.content)
    assert root.findtext(".//m:ResponseCode", namespaces=NS) == "ErrorInvalidSubscription"
    assert root.findtext(".//m:MessageText", namespaces=NS) == "Subscription is invalid."
    assert [e.text for e in root.iterfind(".//m:ErrorSubscriptionIds/m:SubscriptionId", namespaces=NS)] == [
        "AAA-", pull_id]
    unsubscribed = alex.call(f"<m:Unsubscribe><m:SubscriptionId>{good}</m:SubscriptionId></m:Unsubscribe>")
    assert unsubscribed.response_codes == ["NoError"]
    again = open_stream(emulator.endpoint, [good])
    assert b"ErrorInvalidSubscription" in again.content


def test_a_client_that_leaves_frees_the_connection_for_others(tmp_path):
    """One worker thread: the next call is served only once the stream noticed its client
    went away (at its next part, within a keep-alive interval)."""
    with EmulatorServer(ServerConfig(port=0, store=str(tmp_path / "s.sqlite3"), threads=1)) as server:
        soap = Soap(server.endpoint, ALEX)
        sub_id = streaming_subscription(soap)
        response = open_stream(server.endpoint, [sub_id], minutes=30)
        next(documents(response))
        response.close()
        began = time.monotonic()
        assert soap.call("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
                         '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>'
                         ).response_codes == ["NoError"]
        assert time.monotonic() - began < 15


def test_connection_timeout_is_checked(alex):
    for bad in ("0", "31", "x"):
        answer = alex.call("<m:GetStreamingEvents><m:SubscriptionIds><t:SubscriptionId>AAA-</t:SubscriptionId>"
                           f"</m:SubscriptionIds><m:ConnectionTimeout>{bad}</m:ConnectionTimeout>"
                           "</m:GetStreamingEvents>")
        assert answer.status == 500 and b"ErrorSchemaValidation" in answer.content


def test_affinity_is_answered_with_the_backend_cookie(emulator):
    r = requests.post(emulator.endpoint, data=envelope(
        "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>"
        '<t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>', "Exchange2013"),
        auth=(ALEX, PASSWORDS[ALEX]), headers={"Content-Type": "text/xml", "X-PreferServerAffinity": "True"})
    assert re.match(r"ews-propose~", r.cookies.get("X-BackEndOverrideCookie", ""))


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/ews", "ftp://push.example/"])
def test_push_subscriptions_are_kept_and_ended_only_by_the_client(alex, url):
    answer = alex.call('<m:Subscribe><m:PushSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId '
                       'Id="inbox"/></t:FolderIds><t:EventTypes><t:EventType>NewMailEvent</t:EventType>'
                       f"</t:EventTypes><t:StatusFrequency>5</t:StatusFrequency><t:URL>{url}</t:URL>"
                       "</m:PushSubscriptionRequest></m:Subscribe>")
    if url.startswith("ftp"):
        assert answer.response_codes == ["ErrorInvalidPushSubscriptionUrl"]
        return
    assert answer.response_codes == ["NoError"]
    assert answer.first("//m:Watermark").text
    sub_id = answer.first("//m:SubscriptionId").text
    ended = alex.call(f"<m:Unsubscribe><m:SubscriptionId>{sub_id}</m:SubscriptionId></m:Unsubscribe>")
    assert ended.response_codes == ["ErrorInvalidSubscription"]


class _Listener(BaseHTTPRequestHandler):
    """A push client: records each SendNotification, answers with the status it is told."""

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.put(body)
        answer = ('<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/'
                  'envelope/"><s:Body><m:SendNotificationResult xmlns:m="http://schemas.microsoft.com/exchange/'
                  f'services/2006/messages"><m:SubscriptionStatus>{self.server.status}</m:SubscriptionStatus>'
                  "</m:SendNotificationResult></s:Body></s:Envelope>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def test_push_notifications_call_the_client_back_until_it_unsubscribes(alex, adele):
    listener = ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    listener.received, listener.status = queue.Queue(), "Unsubscribe"
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{listener.server_address[1]}/ews-push"
        answer = alex.call('<m:Subscribe><m:PushSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId '
                           'Id="inbox"/></t:FolderIds><t:EventTypes><t:EventType>NewMailEvent</t:EventType>'
                           f"</t:EventTypes><t:StatusFrequency>1</t:StatusFrequency><t:URL>{url}</t:URL>"
                           "</m:PushSubscriptionRequest></m:Subscribe>")
        sub_id = answer.first("//m:SubscriptionId").text
        sent = adele.call(
            '<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:Message><t:Subject>Ping</t:Subject>'
            "<t:ToRecipients><t:Mailbox><t:EmailAddress>AlexW@contoso.com</t:EmailAddress></t:Mailbox>"
            "</t:ToRecipients></t:Message></m:Items></m:CreateItem>")
        assert sent.response_codes == ["NoError"]
        body = listener.received.get(timeout=15)
        root = etree.fromstring(body)
        assert root.find(".//m:SendNotification", namespaces=NS) is not None
        assert root.findtext(".//t:SubscriptionId", namespaces=NS) == sub_id
        assert root.find(".//m:Notification/t:NewMailEvent/t:ItemId", namespaces=NS) is not None
        time.sleep(2)  # the client said Unsubscribe: the subscription is gone
        ended = alex.call(f"<m:Unsubscribe><m:SubscriptionId>{sub_id}</m:SubscriptionId></m:Unsubscribe>")
        assert ended.response_codes == ["ErrorSubscriptionNotFound"]
    finally:
        listener.shutdown()


def created_ids(doc: bytes) -> list[str]:
    root = etree.fromstring(doc)
    return [e.get("Id") for e in root.iterfind(".//m:Notification/t:CreatedEvent/t:ItemId", namespaces=NS)]


def arrival(parts, item_id: str, began: float, within: float) -> float:
    """Seconds from ``began`` until a part of the stream carries the CreatedEvent of ``item_id``;
    fails once ``within`` seconds have gone by without it (a keep-alive comes every 5 s)."""
    for doc in parts:
        if item_id in created_ids(doc):
            return time.monotonic() - began
        assert time.monotonic() - began < within, f"no CreatedEvent for {item_id} within {within} s"
        assert b"Closed" not in doc
    raise AssertionError("the stream ended")


# The stream's look without a wake-up, made far longer than the waits below: an event that
# arrives in time was brought by the store's signal, not by that look.
LONG_FALLBACK = "120"
IN_TIME = 30.0


@pytest.mark.parametrize("signal", ["on", "off"])
def test_a_change_in_this_process_wakes_the_stream(emulator, alex, monkeypatch, signal):
    """With the signal on, a commit wakes the stream though its fallback look is two
    minutes away; with it off the stream looks every 0.25 s as before, and the events
    come all the same."""
    from ews_propose.soap.operations.get_streaming_events import POLL_ENV, SIGNAL_ENV

    monkeypatch.setenv(POLL_ENV, LONG_FALLBACK)
    monkeypatch.setenv(SIGNAL_ENV, signal)
    sub_id = streaming_subscription(alex)
    response = open_stream(emulator.endpoint, [sub_id])
    parts = documents(response)
    next(parts)  # the first part: the stream is open
    for n in range(2):
        began = time.monotonic()
        made = draft(alex, f"Draft {n}")
        assert arrival(parts, made, began, IN_TIME) < IN_TIME
    response.close()


def test_a_change_through_another_process_wakes_a_stream_open_on_this_one(tmp_path):
    """Two `serve` processes on one store (a PostgreSQL schema: its NOTIFY and each
    process's LISTEN connection; an SQLite file: its data_version), a stream open on the
    first, drafts saved through the second: each arrives on the stream long before the
    stream's own look (two minutes) would have found it."""
    import os

    from ews_propose.soap.operations.get_streaming_events import POLL_ENV

    from .server_process import ServerProcess
    from .stores import store_for

    store = store_for(tmp_path)
    env = {**os.environ, POLL_ENV: LONG_FALLBACK}
    with ServerProcess("--store", store, env=env) as first, ServerProcess("--store", store, env=env) as second:
        on_first, on_second = Soap(first.endpoint, ALEX), Soap(second.endpoint, ALEX)
        sub_id = streaming_subscription(on_first)
        response = open_stream(first.endpoint, [sub_id])
        parts = documents(response)
        next(parts)
        for n in range(2):  # the second once the first process's signal is surely up
            began = time.monotonic()
            made = draft(on_second, f"Through the other process {n}")
            assert arrival(parts, made, began, IN_TIME) < IN_TIME
        mine = draft(on_first, "Through this process")
        assert arrival(parts, mine, time.monotonic(), IN_TIME) < IN_TIME
        response.close()
