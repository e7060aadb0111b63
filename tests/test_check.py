"""``ews-propose check --store PATH``: clean on a store the workflow wrote; one line per
finding and exit status 1 on a store with a half-written reply, a duplicate copy, a
response associated with nothing or an unreadable row; 2 on what is not a store."""

from __future__ import annotations

import json
import sqlite3

import pytest

from ews_propose.server import EmulatorServer, ServerConfig

from .ews import Soap
from .store_check import assert_store_clean, run_check

ALEX, ADELE, MEGAN = "AlexW@contoso.com", "AdeleV@contoso.com", "MeganB@contoso.com"
LUNCH = ("2030-07-01T12:00:00Z", "2030-07-01T13:00:00Z")


@pytest.fixture
def store(tmp_path):
    """A store after the whole workflow: invite, a proposal, an accept, a move, a room."""
    path = str(tmp_path / "store.sqlite3")
    server = EmulatorServer(ServerConfig(port=0, store=path)).start()
    try:
        alex, adele, megan = (Soap(server.endpoint, who) for who in (ALEX, ADELE, MEGAN))
        meeting_id, _ = alex.create_meeting("Lunch", *LUNCH, attendees=(ADELE, MEGAN), rooms=("Rainier@contoso.com",))
        (request,) = adele.find_ids("inbox", "MeetingRequest")
        assert adele.reply(request[0], proposed=("2030-07-02T12:00:00Z", "2030-07-02T13:00:00Z")).response_codes == [
            "NoError"]
        (request,) = megan.find_ids("inbox", "MeetingRequest")
        assert megan.reply(request[0], "AcceptItem").response_codes == ["NoError"]
        change_key = alex.get(meeting_id).first("//t:CalendarItem/t:ItemId").get("ChangeKey")
        assert alex.move(meeting_id, change_key, "2030-07-02T12:00:00Z", "2030-07-02T13:00:00Z").response_codes == [
            "NoError"]
        (request,) = megan.find_ids("inbox", "MeetingRequest")
        assert megan.reply(request[0], "DeclineItem").response_codes == ["NoError"]
    finally:
        server.stop()
    return path


def findings(path: str) -> list[str]:
    done = run_check(path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert all(line.startswith(path + ": ") for line in lines), lines
    assert f"{len(lines)} finding(s)" in done.stderr
    return [line[len(path) + 2:] for line in lines]


def organizer_item(conn) -> tuple[str, dict]:
    (item_id, data), = conn.execute(
        "SELECT id, data FROM items WHERE mailbox = ? AND kind = 'calendar_item'", (ALEX.lower(),)).fetchall()
    return item_id, json.loads(data)


def test_a_store_the_workflow_wrote_is_clean(store):
    out = assert_store_clean(store)
    assert "1 meetings" in out


def test_a_half_written_reply_is_found(store):
    conn = sqlite3.connect(store)
    item_id, data = organizer_item(conn)
    for entry in data["attendees"]:
        if entry["smtp"] == MEGAN:  # her decline reached Alex's inbox but not his item
            entry.pop("response", None)
    conn.execute("UPDATE items SET data = ? WHERE id = ?", (json.dumps(data), item_id))
    conn.commit()
    conn.close()
    (line,) = findings(store)
    assert line.startswith(f"{ALEX.lower()}: meeting ") and f"shows {MEGAN.lower()} as " in line.lower()
    assert line.endswith("is decline"), line


def test_duplicates_orphans_and_unreadable_rows_are_found(store):
    conn = sqlite3.connect(store)
    row = conn.execute("SELECT * FROM items WHERE mailbox = ? AND kind = 'calendar_item'",
                       (ADELE.lower(),)).fetchone()
    data = json.loads(row[8])
    data["id"] = "copy-of-adeles-item"
    conn.execute("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 ("copy-of-adeles-item", *row[1:8], json.dumps(data), *row[9:]))
    response = conn.execute("SELECT id, data FROM items WHERE mailbox = ? AND kind = 'meeting_response'",
                            (ALEX.lower(),)).fetchone()
    answer = json.loads(response[1])
    answer["associated_item_id"] = "gone"
    conn.execute("UPDATE items SET data = ? WHERE id = ?", (json.dumps(answer), response[0]))
    conn.execute("UPDATE items SET data = 'not json' WHERE id = (SELECT id FROM items WHERE kind = 'message' "
                 "OR folder = 'sentitems' LIMIT 1)")
    conn.commit()
    conn.close()
    lines = findings(store)
    assert len(lines) == 3, lines
    assert any("2 calendar copies of alexw@contoso.com's meeting" in line for line in lines), lines
    assert any(f"MeetingResponse {response[0]}" in line and "associated with gone" in line for line in lines), lines
    assert any("cannot be read" in line for line in lines), lines


def test_what_is_not_a_store_is_exit_2(tmp_path):
    missing = run_check(str(tmp_path / "missing.sqlite3"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert run_check(str(text)).returncode == 2
    assert not (tmp_path / "missing.sqlite3").exists()
