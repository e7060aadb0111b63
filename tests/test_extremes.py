"""Issue 14, item 1: every stored time round-trips or is refused.

The whole range EWS allows (0001-01-01 to 9999-12-31 UTC) is stored and read back over
the wire; a time whose UTC form falls outside it is refused with ErrorSchemaValidation
before anything is written; one item lasting thousands of years leaves every other
mailbox's CalendarView, free/busy and room booking as they were; and a store an older
version damaged (unpadded years, a poisoned store-wide longest duration) is repaired on
opening.
"""

from __future__ import annotations

import json
import sqlite3

from ews_propose.server import EmulatorServer, ServerConfig

from .ews import Soap
from .test_availability import availability

ALEX, ADELE, ROOM = "AlexW@contoso.com", "AdeleV@contoso.com", "Rainier@contoso.com"


def appointment(soap: Soap, subject: str, start: str, end: str):
    return soap.call(
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId>'
        '<t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items><t:CalendarItem>'
        f"<t:Subject>{subject}</t:Subject><t:Start>{start}</t:Start><t:End>{end}</t:End>"
        "</t:CalendarItem></m:Items></m:CreateItem>")


def calendar_view(soap: Soap, start: str, end: str):
    return soap.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        f'<m:CalendarView StartDate="{start}" EndDate="{end}"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')


def subjects_in_view(soap: Soap, start: str, end: str) -> list[str]:
    answer = calendar_view(soap, start, end)
    assert answer.status == 200 and answer.response_codes == ["NoError"], answer.content
    return [el.text for el in answer.xpath("//t:CalendarItem/t:Subject")]


def folder_subjects(soap: Soap) -> list[str]:
    answer = soap.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        '<m:IndexedPageItemView MaxEntriesReturned="100" Offset="0" BasePoint="Beginning"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
    assert answer.status == 200 and answer.response_codes == ["NoError"], answer.content
    return sorted(el.text for el in answer.xpath("//t:CalendarItem/t:Subject"))


def test_the_first_and_last_days_round_trip(alex):
    for subject, start, end in (("first day", "0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z"),
                                ("last day", "9999-12-31T22:00:00Z", "9999-12-31T23:59:59Z"),
                                ("year 999", "0999-06-01T10:00:00+02:00", "0999-06-01T11:00:00+02:00")):
        created = appointment(alex, subject, start, end)
        assert created.response_codes == ["NoError"], created.content
        item_id = created.first("//t:CalendarItem/t:ItemId").get("Id")
        got = alex.get(item_id)
        assert got.response_codes == ["NoError"], got.content
        assert got.first("//t:CalendarItem/t:Subject").text == subject
    assert alex.get(item_id).first("//t:CalendarItem/t:Start").text == "0999-06-01T08:00:00Z"
    # The folder stays readable, and each day is found by a view of it.
    assert folder_subjects(alex) == ["first day", "last day", "year 999"]
    assert subjects_in_view(alex, "0001-01-01T00:00:01Z", "0001-01-02T00:00:00Z") == ["first day"]
    assert subjects_in_view(alex, "9999-12-31T00:00:00Z", "9999-12-31T23:59:58Z") == ["last day"]
    # Exchange refuses a CalendarView at DateTime.MinValue or MaxValue themselves.
    for window in (("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z"), ("9999-12-31T00:00:00Z", "9999-12-31T23:59:59Z"),
                   ("9999-12-31T00:00:00Z", "9999-12-31T23:59:59.9999999Z")):
        assert calendar_view(alex, *window).response_codes == ["ErrorValueOutOfRange"]
    first_week = availability(alex, [ALEX], "0001-01-01T00:00:00Z", "0001-01-01T06:00:00Z", interval=60)
    assert first_week.first("//t:MergedFreeBusy").text == "200000", first_week.content


def test_times_outside_the_range_in_utc_are_refused_before_anything_is_written(alex):
    for start, end in (("0001-01-01T00:00:00+05:00", "0001-01-01T06:00:00Z"),
                       ("9999-12-31T23:00:00Z", "9999-12-31T23:30:00-05:00"),
                       ("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00Z")):
        refused = appointment(alex, "out of range", start, end)
        assert refused.status == 500, refused.content
        assert refused.first("//faultcode").text.endswith("ErrorSchemaValidation"), refused.content
        assert "year range 1-9999" in refused.first("//faultstring").text
    # A naive time read in a zone east of UTC, on the first day, is refused the same way.
    tokyo = '<t:TimeZoneContext><t:TimeZoneDefinition Id="Tokyo Standard Time"/></t:TimeZoneContext>'
    refused = alex.call(
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem><t:Subject>naive</t:Subject>'
        "<t:Start>0001-01-01T01:00:00</t:Start><t:End>0001-01-01T12:00:00</t:End></t:CalendarItem></m:Items>"
        "</m:CreateItem>", header=tokyo)
    assert refused.first("//faultcode").text.endswith("ErrorSchemaValidation"), refused.content
    view = calendar_view(alex, "9999-12-31T23:00:00Z", "9999-12-31T23:59:59-01:00")
    assert view.first("//faultcode").text.endswith("ErrorSchemaValidation"), view.content
    assert folder_subjects(alex) == []


def test_one_very_long_item_leaves_everyone_elses_calendars_alone(emulator, alex, adele):
    ordinary = ("2030-01-15T12:00:00Z", "2030-01-15T13:00:00Z")
    adele.create_meeting("Adele's lunch", *ordinary, attendees=())
    # Exchange refuses items longer than five years (ErrorCalendarDurationIsTooLong) ...
    forever = appointment(alex, "forever", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")
    assert forever.response_codes == ["ErrorCalendarDurationIsTooLong"], forever.content
    assert appointment(alex, "too long", "2026-02-28T00:00:00Z", "2031-02-28T00:00:01Z").response_codes == [
        "ErrorCalendarDurationIsTooLong"]
    # ... and the longest it allows leaves the other mailboxes' views, free/busy and room alone.
    created = appointment(alex, "five years", "2026-02-28T00:00:00Z", "2031-02-28T00:00:00Z")
    assert created.response_codes == ["NoError"], created.content
    month = ("2030-01-01T00:00:00Z", "2030-02-01T00:00:00Z")
    assert subjects_in_view(adele, *month) == ["Adele's lunch"]
    assert subjects_in_view(alex, *month) == ["five years"]
    assert subjects_in_view(alex, "2026-02-28T00:00:00Z", "2026-03-01T00:00:00Z") == ["five years"]
    assert subjects_in_view(alex, "2031-02-27T00:00:00Z", "2031-03-01T00:00:00Z") == ["five years"]
    # An item ending exactly at a view's start is in it, as Exchange counts (find_item.py).
    assert subjects_in_view(alex, "2031-02-28T00:00:00Z", "2031-03-01T00:00:00Z") == ["five years"]
    assert subjects_in_view(alex, "2031-02-28T00:00:01Z", "2031-03-01T00:00:00Z") == []
    day = availability(adele, [ADELE, ALEX], "2030-01-15T09:00:00Z", "2030-01-15T15:00:00Z")
    assert [el.text for el in day.xpath("//t:MergedFreeBusy")] == ["000200", "222222"], day.content
    # A room booking is decided as before: the room is free and accepts.
    adele.create_meeting("Planning", "2030-01-16T09:00:00Z", "2030-01-16T10:00:00Z", attendees=(), rooms=(ROOM,))
    room = Soap(emulator.endpoint, ROOM)
    assert subjects_in_view(room, *month) == ["Planning"]
    answers = adele.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')
    assert [el.text for el in answers.xpath("//t:Subject")] == ["Accepted: Planning"], answers.content


def _damage(path: str) -> None:
    """Make a store look as a version-3 ews-propose left it after the defects: years
    below 1000 written unpadded, and a store-wide longest duration of ten millennia."""
    conn = sqlite3.connect(path)
    conn.execute("DROP INDEX items_long")
    conn.execute("ALTER TABLE items DROP COLUMN long_item")
    for item_id, start, end, data in conn.execute('SELECT id, start, "end", data FROM items').fetchall():
        conn.execute('UPDATE items SET start = ?, "end" = ?, data = ? WHERE id = ?',
                     (start and start.replace("0001-", "1-").replace("0999-", "999-"),
                      end and end.replace("0001-", "1-").replace("0999-", "999-"),
                      data.replace('"0001-', '"1-').replace('"0999-', '"999-'), item_id))
    # An item lasting from year 1 to 9999, as an older version accepted.
    row = conn.execute("SELECT * FROM items WHERE data LIKE '%\"lunch\"%'").fetchone()
    data = json.loads(row[8])
    data.update(id="forever-item", subject="forever", start="1-01-01T00:00:00Z", end="9999-12-31T23:59:59Z")
    conn.execute("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 ("forever-item", *row[1:5], data["start"], data["end"], row[7], json.dumps(data), row[9]))
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('longest_item_s', ?)", (str(10_000 * 366 * 86400),))
    conn.commit()
    conn.close()


def test_a_store_damaged_by_an_older_version_is_repaired(tmp_path):
    path = str(tmp_path / "store.sqlite3")
    server = EmulatorServer(ServerConfig(port=0, store=path)).start()
    try:
        alex = Soap(server.endpoint, ALEX)
        for subject, start, end in (("first day", "0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z"),
                                    ("year 999", "0999-06-01T10:00:00Z", "0999-06-01T11:00:00Z"),
                                    ("lunch", "2030-01-15T12:00:00Z", "2030-01-15T13:00:00Z")):
            assert appointment(alex, subject, start, end).response_codes == ["NoError"]
    finally:
        server.stop()
    _damage(path)
    damaged = sqlite3.connect(path)
    assert damaged.execute("SELECT count(*) FROM items WHERE start LIKE '1-%' OR start LIKE '999-%'").fetchone() == (3,)
    damaged.close()

    server = EmulatorServer(ServerConfig(port=0, store=path)).start()
    try:
        alex, adele = Soap(server.endpoint, ALEX), Soap(server.endpoint, ADELE)
        assert folder_subjects(alex) == ["first day", "forever", "lunch", "year 999"]
        assert subjects_in_view(alex, "0001-01-01T00:00:01Z", "0001-01-02T00:00:00Z") == ["first day", "forever"]
        assert subjects_in_view(alex, "2030-01-15T00:00:00Z", "2030-01-16T00:00:00Z") == ["forever", "lunch"]
        assert subjects_in_view(alex, "0999-06-01T00:00:00Z", "0999-06-02T00:00:00Z") == ["forever", "year 999"]
        assert subjects_in_view(adele, "2030-01-01T00:00:00Z", "2030-02-01T00:00:00Z") == []
    finally:
        server.stop()
    repaired = sqlite3.connect(path)
    assert repaired.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("4",)
    assert repaired.execute("SELECT count(*) FROM meta WHERE key = 'longest_item_s'").fetchone() == (0,)
    starts = sorted(r[0] for r in repaired.execute("SELECT start FROM items WHERE kind = 'calendar_item'"))
    assert starts == ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "0999-06-01T10:00:00Z", "2030-01-15T12:00:00Z"]
    assert repaired.execute("SELECT id FROM items WHERE long_item = 1").fetchall() == [("forever-item",)]
    for (data,) in repaired.execute("SELECT data FROM items"):
        assert json.loads(data)["start"][4] == "-"
    repaired.close()


def test_graph_reads_the_whole_range_and_refuses_writes_past_its_own(emulator, alex):
    """The mailbox holds 0001..9999 (written through EWS); Graph shows those items, and
    refuses to write outside its own range (1601 to 4500, tests/test_graph_errors.py)."""
    from .graph import ALEX as GRAPH_ALEX
    from .graph import GraphLine, assert_graph_error

    line = GraphLine(emulator.server.graph_url, GRAPH_ALEX[1])
    try:
        for start, end in (("0001-01-01T00:00:00", "0001-01-01T01:00:00"),
                           ("9999-12-31T22:00:00", "9999-12-31T23:59:59")):
            made = appointment(alex, f"edge {start[:4]}", start + "Z", end + "Z")
            assert made.response_codes == ["NoError"], made.content
        shown = {e["subject"]: e for e in line.get("/me/events").json()["value"]}
        assert shown["edge 0001"]["start"] == {"dateTime": "0001-01-01T00:00:00.0000000", "timeZone": "UTC"}
        assert shown["edge 9999"]["end"] == {"dateTime": "9999-12-31T23:59:59.0000000", "timeZone": "UTC"}
        again = line.get(f"/me/events/{shown['edge 0001']['id']}").json()
        assert again["end"]["dateTime"] == "0001-01-01T01:00:00.0000000"
        # Shown in a zone whose local time would fall outside the years: said in UTC instead.
        tokyo = GraphLine(emulator.server.graph_url, GRAPH_ALEX[1], prefer='outlook.timezone="Tokyo Standard Time"')
        shown = {e["subject"]: e for e in tokyo.get("/me/events").json()["value"]}
        assert shown["edge 9999"]["end"] == {"dateTime": "9999-12-31T23:59:59.0000000", "timeZone": "UTC"}
        # (tzdata gives Tokyo its local mean time, +09:18:59, before 1888.)
        assert shown["edge 0001"]["start"] == {"dateTime": "0001-01-01T09:18:59.0000000",
                                               "timeZone": "Tokyo Standard Time"}
        tokyo.close()
        view = line.get("/me/calendarView", startDateTime="0001-01-01T00:00:00Z", endDateTime="0001-01-02T00:00:00Z")
        assert view.status_code == 400 and assert_graph_error(view)["code"] == "ErrorInvalidRequest"
        for start in ("0001-01-01T00:00:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:30:00-05:00"):
            refused = line.post("/me/events", {"subject": "out", "start": {"dateTime": start, "timeZone": "UTC"},
                                               "end": {"dateTime": "9999-12-31T23:59:59", "timeZone": "UTC"}})
            assert refused.status_code == 400, refused.text
            assert assert_graph_error(refused)["code"] == "ErrorInvalidRequest"
        refused = line.post("/me/events", {"subject": "naive", "start": {"dateTime": "0001-01-01T01:00:00",
                                                                         "timeZone": "Tokyo Standard Time"},
                                           "end": {"dateTime": "0001-01-01T12:00:00", "timeZone": "UTC"}})
        assert refused.status_code == 400 and assert_graph_error(refused)["code"] == "ErrorInvalidRequest"
        bad_view = line.get("/me/calendarView", startDateTime="0001-01-01T00:00:00+01:00",
                            endDateTime="0001-01-02T00:00:00Z")
        assert bad_view.status_code == 400 and assert_graph_error(bad_view)
        too_long = line.post("/me/events", {"subject": "decade", "start": {"dateTime": "2030-01-01T00:00:00", "timeZone": "UTC"},
                                            "end": {"dateTime": "2040-01-01T00:00:00", "timeZone": "UTC"}})
        assert too_long.status_code == 400 and "at most 5 years" in assert_graph_error(too_long)["message"]
        assert sorted(e["subject"] for e in line.get("/me/events").json()["value"]) == ["edge 0001", "edge 9999"]
    finally:
        line.close()


def test_calendar_views_read_bounded_index_ranges(tmp_path):
    """Ordinary items come from a bounded range of the window index, long ones from their
    own partial index: the plan scans neither the whole table nor everything earlier."""
    import ews_propose.rules  # noqa: F401 (the store's models)
    from ews_propose.store.sqlite import SqliteStore

    with SqliteStore(str(tmp_path / "plan.sqlite3")) as store, store.transaction(write=False) as tx:
        plan = []
        real = tx._conn

        class Recording:
            def execute(self, sql, args=()):
                plan.extend(r[3] for r in real.execute("EXPLAIN QUERY PLAN " + sql, args))
                return real.execute(sql, args)

        tx._conn = Recording()
        from datetime import UTC, datetime
        tx.calendar_view(ALEX, "calendar", datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC))
    searches = [p for p in plan if p.startswith(("SEARCH", "SCAN"))]
    assert searches == ["SEARCH items USING INDEX items_window (mailbox=? AND folder=? AND start>? AND start<?)",
                        "SEARCH items USING INDEX items_long (mailbox=? AND folder=? AND start<?)"], plan
