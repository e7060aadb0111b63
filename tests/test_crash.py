"""Crash safety: a server killed with SIGKILL in the middle of replies, restarted on the
same store file, shows every reply whole or not at all: no half-delivered reply, no
duplicate, and every MeetingResponse agrees with the organizer's attendee entry."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from .ews import Soap
from .mailboxes import (
    LUNCH,
    ORGANIZER,
    REPLY_RESPONSE_TYPE,
    all_ids,
    attendees,
    check_replies_agree,
    load_directory,
    reply_kind,
)
from .server_process import ServerProcess
from .store_check import assert_store_clean
from .stores import store_for

# A server whose store pauses inside a reply's transaction, right after the attendee's
# sent copy is written and before the organizer's side, and says so through a file.
PAUSING_SERVER = """
import sys, time
from contextlib import contextmanager
from ews_propose.directory import Directory
from ews_propose.server import EmulatorServer, ServerConfig
from ews_propose.store import Store, open_store

store_path, directory_path, marker = sys.argv[1:4]

class PausingTransaction:
    def __init__(self, tx):
        self._tx = tx
    def __getattr__(self, name):
        return getattr(self._tx, name)
    def put(self, item):
        self._tx.put(item)
        if item.kind == "meeting_response" and item.folder == "sentitems":
            open(marker, "w").close()
            time.sleep(60)  # the test kills the process here

class PausingStore(Store):
    def __init__(self, inner):
        self._inner = inner
    @contextmanager
    def transaction(self, write=True):
        with self._inner.transaction(write) as tx:
            yield PausingTransaction(tx)
    def close(self):
        self._inner.close()

server = EmulatorServer(ServerConfig(port=0, store=store_path), Directory.load(directory_path),
                        store=PausingStore(open_store(store_path)))
print(f"ews-propose listening on {server.endpoint}", flush=True)
server.serve_forever()
"""


def soap_for(endpoint: str, index: int) -> Soap:
    smtp, _, password = attendees(index + 1)[index]
    return Soap(endpoint, smtp, password)


def organizer(endpoint: str) -> Soap:
    return Soap(endpoint, ORGANIZER[0], ORGANIZER[2])


def attendee_side(endpoint: str, index: int) -> tuple[int, int, int, str]:
    """(requests in Inbox, requests in Deleted Items, responses in Sent Items, MyResponseType)."""
    soap = soap_for(endpoint, index)
    calendar_ids = all_ids(soap, "calendar", "CalendarItem") + all_ids(soap, "deleteditems", "CalendarItem")
    assert len(calendar_ids) == 1, calendar_ids
    my_response = soap.get(calendar_ids[0]).text("//t:CalendarItem/t:MyResponseType")
    return (len(all_ids(soap, "inbox", "MeetingRequest")), len(all_ids(soap, "deleteditems", "MeetingRequest")),
            len(all_ids(soap, "sentitems", "MeetingResponse")), my_response)


def check_whole_or_nothing(endpoint: str, meeting_id: str, count: int) -> set[int]:
    """Each attendee's reply is there in all five places or in none; returns who replied."""
    responses, entries = check_replies_agree(organizer(endpoint), meeting_id)
    replied = set()
    for index in range(count):
        smtp = attendees(count)[index][0]
        side = attendee_side(endpoint, index)
        if smtp in responses:
            kind, proposal = reply_kind(index)
            assert entries[smtp] == (REPLY_RESPONSE_TYPE[kind], proposal)
            assert side == (0, 1, 1, REPLY_RESPONSE_TYPE[kind]), (smtp, side)
            replied.add(index)
        else:
            assert entries[smtp][0] == "Unknown"
            assert side == (1, 0, 0, "NoResponseReceived"), (smtp, side)
    return replied


def setup_meeting(tmp_path, count: int) -> tuple[str, str, str]:
    _, toml = load_directory(count)
    directory = tmp_path / "directory.toml"
    directory.write_text(toml)
    store = store_for(tmp_path, "store.sqlite3")
    with ServerProcess("--store", store, "--directory", str(directory)) as server:
        meeting_id, _ = organizer(server.endpoint).create_meeting(
            "Planning", *LUNCH, attendees=[smtp for smtp, _, _ in attendees(count)])
    return store, str(directory), meeting_id


def reply(endpoint: str, index: int):
    soap = soap_for(endpoint, index)
    (request_id,) = all_ids(soap, "inbox", "MeetingRequest")
    kind, proposal = reply_kind(index)
    return soap.reply(request_id, kind, proposed=proposal)


def test_a_kill_inside_a_reply_leaves_no_trace_of_it(tmp_path):
    store, directory, meeting_id = setup_meeting(tmp_path, 3)
    marker = tmp_path / "paused"
    server = ServerProcess(store, directory, str(marker), python_code=PAUSING_SERVER)
    try:
        soap = soap_for(server.endpoint, 1)
        (request_id,) = all_ids(soap, "inbox", "MeetingRequest")
        kind, proposal = reply_kind(1)
        outcome: list = []
        sender = threading.Thread(target=lambda: outcome.append(
            _post_or_error(lambda: soap.reply(request_id, kind, proposed=proposal))), daemon=True)
        sender.start()
        for _ in range(200):
            if marker.exists():
                break
            time.sleep(0.05)
        assert marker.exists(), "the reply never reached its transaction"
        server.kill()
        sender.join(timeout=10)
        assert isinstance(outcome[0], requests.ConnectionError)  # the client saw no answer
    finally:
        server.kill()
    assert_store_clean(store)  # as the kill left it, before any restart
    with ServerProcess("--store", store, "--directory", directory) as restarted:
        assert check_whole_or_nothing(restarted.endpoint, meeting_id, 3) == set()
        # The attendee answers again, and this time it lands once.
        assert reply(restarted.endpoint, 1).response_codes == ["NoError"]
        assert check_whole_or_nothing(restarted.endpoint, meeting_id, 3) == {1}
    assert_store_clean(store)


def _post_or_error(call):
    try:
        return call()
    except requests.RequestException as exc:
        return exc


def test_sigkill_during_a_stream_of_replies(tmp_path):
    count = 40
    store, directory, meeting_id = setup_meeting(tmp_path, count)
    server = ServerProcess("--store", store, "--directory", directory, "--threads", "4")
    acknowledged: set[int] = set()
    outcomes: dict[int, object] = {}  # what each reply came back with, for the failure message
    done = threading.Event()
    try:
        def answer(index: int) -> None:
            if done.is_set():
                return
            try:
                result = _post_or_error(lambda: reply(server.endpoint, index))
            except Exception as exc:  # noqa: BLE001 - kept for the message, then raised
                outcomes[index] = exc
                raise
            outcomes[index] = result if isinstance(result, Exception) else result.response_codes
            if not isinstance(result, Exception) and result.response_codes == ["NoError"]:
                acknowledged.add(index)
                if len(acknowledged) >= 12:
                    done.set()

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(answer, i) for i in range(count)]
            assert done.wait(60), f"replies did not come back: {outcomes}; server said: {server.errors[-2000:]}"
            server.kill()  # with replies still in flight
            for future in futures:
                future.result(timeout=60)
    finally:
        server.kill()
    assert 12 <= len(acknowledged) < count
    assert_store_clean(store)  # as the kill left it, before any restart
    with ServerProcess("--store", store, "--directory", directory) as restarted:
        replied = check_whole_or_nothing(restarted.endpoint, meeting_id, count)
        assert acknowledged <= replied  # nothing acknowledged was lost
        for index in sorted(set(range(count)) - replied):  # the rest answer now, once each
            assert reply(restarted.endpoint, index).response_codes == ["NoError"]
        assert check_whole_or_nothing(restarted.endpoint, meeting_id, count) == set(range(count))
    assert_store_clean(store)


def test_sigkill_of_one_of_three_processes_on_one_store(tmp_path):
    """Three servers on one store share a stream of replies; one is killed with replies in
    flight. The other two go on answering, and every reply is whole or absent."""
    count = 45
    store, directory, meeting_id = setup_meeting(tmp_path, count)
    servers = [ServerProcess("--store", store, "--directory", directory, "--threads", "4") for _ in range(3)]
    victim, survivors = servers[0], servers[1:]
    acknowledged: set[int] = set()
    killed = threading.Event()
    try:
        def answer(index: int) -> None:
            server = servers[index % 3]
            if server is victim and killed.is_set():
                return
            result = _post_or_error(lambda: reply(server.endpoint, index))
            if not isinstance(result, Exception) and result.response_codes == ["NoError"]:
                acknowledged.add(index)
                if len(acknowledged) >= 9 and not killed.is_set():
                    killed.set()
                    victim.kill()  # with its own replies and the others' still in flight

        with ThreadPoolExecutor(max_workers=9) as pool:
            for future in [pool.submit(answer, i) for i in range(count)]:
                future.result(timeout=60)
        assert killed.is_set(), "replies did not come back"
        assert_store_clean(store)  # as the kill left it
        # Every reply sent to a survivor was answered: the kill cost them nothing.
        assert {i for i in range(count) if i % 3} <= acknowledged
        replied = check_whole_or_nothing(survivors[0].endpoint, meeting_id, count)
        assert acknowledged <= replied
        for index in sorted(set(range(count)) - replied):  # the rest answer now, once each
            assert reply(survivors[1].endpoint, index).response_codes == ["NoError"]
        assert check_whole_or_nothing(survivors[1].endpoint, meeting_id, count) == set(range(count))
    finally:
        for server in servers:
            server.kill()
    assert_store_clean(store)
    for server in survivors:
        assert "Traceback" not in server.errors and "locked" not in server.errors, server.errors
