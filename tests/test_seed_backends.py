"""``ews-propose seed --mailboxes M`` on both store backends: the bulk-loaded rows are
items the emulator serves on the wire, and ``ews-propose check`` finds nothing wrong."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ews_propose.server import EmulatorServer, ServerConfig
from ews_propose.store import open_store

from . import stores
from .ews import Soap

CLI = [sys.executable, "-m", "ews_propose"]
MAILBOXES = ["AlexW@contoso.com", "AdeleV@contoso.com", "MeganB@contoso.com"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)


def calendar_view(soap: Soap, start: str, end: str):
    answer = soap.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        f'<m:CalendarView StartDate="{start}" EndDate="{end}"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
    assert answer.status == 200 and answer.response_codes == ["NoError"], answer.content[:500]
    return answer


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_seeded_mailboxes_are_served_on_the_wire(backend, tmp_path):
    store = stores.store_on(backend, tmp_path, "seeded.sqlite3")
    run = cli("seed", "--items", "250", "--mailboxes", "3", "--store", store, "--start", "2031-02-03",
              "--per-day", "10")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("seeded 250 appointments into the Calendars of 3 mailboxes over 9 days")
    assert "seeding: 250/250 items (100%)" in run.stderr  # the progress line, without a terminal
    checked = cli("check", "--store", store)
    assert checked.returncode == 0 and "ok (250 items" in checked.stdout, checked.stdout + checked.stderr

    server = EmulatorServer(ServerConfig(port=0, store=store)).start()
    try:
        counts = []
        for mailbox in MAILBOXES:
            soap = Soap(server.endpoint, mailbox)
            # 250 over 3: 84, 83, 83; ten a day from 08:00 UTC, so day 9 holds the rest.
            first = calendar_view(soap, "2031-02-03T00:00:00Z", "2031-02-04T00:00:00Z")
            starts = first.xpath("//t:CalendarItem/t:Start/text()")
            assert sorted(starts) == [f"2031-02-03T{8 + n // 2:02d}:{30 * (n % 2):02d}:00Z" for n in range(10)]
            everything = calendar_view(soap, "2031-02-01T00:00:00Z", "2031-03-01T00:00:00Z")
            ids = everything.xpath("//t:CalendarItem/t:ItemId/@Id")
            counts.append(len(ids))
            item = soap.get(ids[0])
            assert item.response_codes == ["NoError"], item.content[:500]
            assert item.text("//t:Subject").startswith("Seeded appointment ")
            assert item.text("//t:Organizer/t:Mailbox/t:EmailAddress") == mailbox
            assert item.text("//t:MyResponseType") == "Organizer"
            # The seeded item is an ordinary item of the store: it can be changed like any other.
            change_key = item.first("//t:ItemId").get("ChangeKey")
            moved = soap.call(
                '<m:UpdateItem ConflictResolution="NeverOverwrite" SendMeetingInvitationsOrCancellations="SendToNone">'
                f'<m:ItemChanges><t:ItemChange><t:ItemId Id="{ids[0]}" ChangeKey="{change_key}"/><t:Updates>'
                '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>Renamed'
                "</t:Subject></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges>"
                "</m:UpdateItem>")
            assert moved.response_codes == ["NoError"], moved.content[:500]
        assert counts == [84, 83, 83]
        assert Soap(server.endpoint, "Rainier@contoso.com").call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
            '<m:CalendarView StartDate="2031-02-01T00:00:00Z" EndDate="2031-03-01T00:00:00Z"/>'
            '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>'
        ).xpath("//t:CalendarItem") == []
    finally:
        server.stop()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_bulk_rows_are_the_rows_put_writes(backend, tmp_path):
    """put_many (the bulk load) and put store the same rows: each item reads back as given."""
    from datetime import UTC, datetime

    from ews_propose.cli.seed import Plan, appointment, rows
    from ews_propose.directory import Directory
    from ews_propose.store.schema import item_row

    store = stores.store_on(backend, tmp_path, "seeded.sqlite3")
    plan = Plan(Directory.demo().get("MeganB@contoso.com"), 5, datetime(2031, 2, 3, 8, tzinfo=UTC), 10,
                datetime(2031, 1, 1, tzinfo=UTC))
    bulk, single = [appointment(plan, n) for n in range(5)], [appointment(plan, n) for n in range(5, 10)]
    with open_store(store) as opened:
        with opened.transaction() as tx:
            assert tx.put_many(bulk) == 5
            for item in single:
                tx.put(item)
            seeded = list(rows(plan))
            assert tx.put_rows(seeded) == 5
        with opened.transaction(write=False) as tx:
            for item in bulk + single:
                assert item_row(tx.get(item.id)) == item_row(item)
            for row in seeded:
                assert item_row(tx.get(row[0])) == row
            assert len(tx.calendar_view("meganb@contoso.com", "calendar", datetime(2031, 2, 3, tzinfo=UTC),
                                        datetime(2031, 2, 4, tzinfo=UTC))) == 15
