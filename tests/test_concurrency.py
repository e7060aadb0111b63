"""100 attendees answer one meeting at the same moment, through several server threads
and through several server processes on one store file: every answer reaches the
organizer, every attendee entry is updated, and no client ever sees a 5xx or
"database is locked". Two organizer updates racing on one ChangeKey: exactly one wins."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest

from ews_propose.server import EmulatorServer, ServerConfig

from .ews import Answer, Soap
from .mailboxes import (
    LUNCH,
    ORGANIZER,
    REPLY_RESPONSE_TYPE,
    all_ids,
    attendee_entries,
    attendees,
    check_replies_agree,
    load_directory,
    reply_kind,
)
from .server_process import ServerProcess
from .store_check import assert_store_clean
from .stores import store_for

ATTENDEES = 100


def organizer(endpoint: str) -> Soap:
    return Soap(endpoint, ORGANIZER[0], ORGANIZER[2])


def invite_everyone(endpoint: str) -> str:
    meeting_id, _ = organizer(endpoint).create_meeting(
        "All hands", *LUNCH, attendees=[smtp for smtp, _, _ in attendees(ATTENDEES)])
    return meeting_id


def answer_all_at_once(endpoints: list[str]) -> list[Answer]:
    """Each attendee finds their request, then all answer together (a barrier). Each
    client closes its connection when done: waitress accepts about 98 connections at
    once (its connection_limit of 100 counts its own sockets), so 100 clients idling on
    keep-alive connections would lock the last ones out (see docs/reliability.md)."""
    people = attendees(ATTENDEES)
    barrier = threading.Barrier(len(people), timeout=60)

    def answer(index: int) -> Answer:
        smtp, _, password = people[index]
        endpoint = endpoints[index % len(endpoints)]
        soap = Soap(endpoint, smtp, password)
        with closing(soap.session):
            (request_id,) = all_ids(soap, "inbox", "MeetingRequest")
        kind, proposal = reply_kind(index)
        barrier.wait()
        soap = Soap(endpoint, smtp, password)
        with closing(soap.session):
            return soap.reply(request_id, kind, proposed=proposal, body=f"from {smtp}")

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        return list(pool.map(answer, range(len(people))))


def check_everyone_answered(endpoint: str, meeting_id: str, answers: list[Answer]) -> None:
    for answer in answers:
        assert answer.status == 200, answer.content[:300]
        assert b"locked" not in answer.content
        assert answer.response_codes == ["NoError"], answer.content[:500]
    responses, entries = check_replies_agree(organizer(endpoint), meeting_id)
    assert len(responses) == ATTENDEES
    for index, (smtp, _, _) in enumerate(attendees(ATTENDEES)):
        kind, proposal = reply_kind(index)
        assert entries[smtp] == (REPLY_RESPONSE_TYPE[kind], proposal), smtp


def race_two_moves(endpoints: list[str], meeting_id: str, day: int) -> tuple[list[Answer], list[str]]:
    """Two organizer clients move the meeting, each to its own new day, with the same
    (fresh) ChangeKey at once."""
    change_key = organizer(endpoints[0]).get(meeting_id).first("//t:CalendarItem/t:ItemId").get("ChangeKey")
    barrier = threading.Barrier(2, timeout=30)
    starts = [f"2026-12-{day + i:02d}T09:00:00Z" for i in range(2)]

    def move(i: int) -> Answer:
        soap = organizer(endpoints[i % len(endpoints)])
        barrier.wait()
        return soap.move(meeting_id, change_key, starts[i], starts[i].replace("T09", "T10"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(move, range(2))), starts


def check_one_move_won(endpoint: str, meeting_id: str, answers: list[Answer], starts: list[str]) -> None:
    codes = [a.response_codes[0] for a in answers]
    assert sorted(codes) == ["ErrorIrresolvableConflict", "NoError"], [a.content[:300] for a in answers]
    winner = codes.index("NoError")
    new_key = answers[winner].first("//t:CalendarItem/t:ItemId").get("ChangeKey")
    item = organizer(endpoint).get(meeting_id)
    assert item.first("//t:CalendarItem/t:ItemId").get("ChangeKey") == new_key
    assert item.text("//t:CalendarItem/t:Start") == starts[winner]
    # The winning move reset every attendee's answer.
    assert {r for r, _ in attendee_entries(organizer(endpoint), meeting_id).values()} == {"NoResponseReceived"}


def test_100_attendees_answer_at_once_through_server_threads(tmp_path):
    directory, _ = load_directory(ATTENDEES)
    config = ServerConfig(port=0, store=store_for(tmp_path, "store.sqlite3"), threads=8)
    with EmulatorServer(config, directory) as server:
        meeting_id = invite_everyone(server.endpoint)
        check_everyone_answered(server.endpoint, meeting_id, answer_all_at_once([server.endpoint]))
        for round_ in range(5):
            check_one_move_won(server.endpoint, meeting_id,
                               *race_two_moves([server.endpoint], meeting_id, 3 + 2 * round_))
    assert_store_clean(config.store)


@pytest.fixture
def three_servers(tmp_path):
    _, toml = load_directory(ATTENDEES)
    path = tmp_path / "directory.toml"
    path.write_text(toml)
    store = store_for(tmp_path, "shared.sqlite3")
    procs: list[ServerProcess] = []
    try:
        for _ in range(3):
            procs.append(ServerProcess("--store", store, "--directory", str(path), "--threads", "4"))
        yield procs
    finally:
        for proc in procs:
            proc.stop()
    for proc in procs:
        assert "locked" not in proc.errors and "Traceback" not in proc.errors, proc.errors
    assert_store_clean(store)  # the storm left every meeting invariant in place


def test_100_attendees_answer_at_once_through_three_processes_on_one_store(three_servers):
    endpoints = [p.endpoint for p in three_servers]
    meeting_id = invite_everyone(endpoints[0])
    check_everyone_answered(endpoints[1], meeting_id, answer_all_at_once(endpoints))
    for round_ in range(5):
        check_one_move_won(endpoints[2], meeting_id, *race_two_moves(endpoints[:2], meeting_id, 3 + 2 * round_))
