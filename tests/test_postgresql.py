"""`--store postgresql://...`: what `serve` says when the database cannot be used, and what
only a database server gives (several processes, the password kept out of sight).

The tests that need a server run with ``--store-backend=postgresql`` (make
test-postgresql, and CI), on the suite's own throwaway server (tests/pg_server.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .ews import Soap
from .mailboxes import LUNCH
from .server_process import ServerProcess
from .stores import URL_ENV, on_postgresql, store_for

needs_server = pytest.mark.skipif(not on_postgresql(), reason="needs --store-backend=postgresql (a server)")


def serve_fails(*args: str) -> str:
    """`ews-propose serve ARGS` stops at once: exit 2, exactly one line on stderr."""
    proc = subprocess.run([sys.executable, "-m", "ews_propose", "serve", "--port", "0", *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again at once: nothing listens there


def test_an_unreachable_database_is_one_line_without_the_password():
    port = closed_port()
    line = serve_fails("--store", f"postgresql://ews:hunter2@127.0.0.1:{port}/mail")
    assert line.startswith(f"ews-propose: store postgresql://ews:***@127.0.0.1:{port}/mail: ")
    assert "Connection refused" in line
    assert "hunter2" not in line


def test_a_url_libpq_cannot_read_is_one_line():
    line = serve_fails("--store", "postgresql://ews:pw@127.0.0.1:notaport/mail")
    assert line.startswith("ews-propose: store postgresql://ews:***@127.0.0.1:notaport/mail: ")
    assert '"notaport"' in line and "pw@" not in line


@needs_server
def test_wrong_credentials_and_a_missing_database_are_one_line():
    url = os.environ[URL_ENV]
    line = serve_fails("--store", url.replace(":ews-test@", ":wrong@"))
    assert "password authentication failed" in line and "wrong" not in line
    line = serve_fails("--store", url.rsplit("/", 1)[0] + "/nosuchdb")
    assert 'database "nosuchdb" does not exist' in line


@needs_server
def test_a_store_of_a_newer_schema_is_refused(tmp_path):
    import psycopg

    from ews_propose.store import open_store
    from ews_propose.store.schema import SCHEMA_VERSION

    url = store_for(tmp_path)
    open_store(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    line = serve_fails("--store", url)
    assert line.endswith(f"has schema version {SCHEMA_VERSION + 1}; this ews-propose reads up to {SCHEMA_VERSION}")


@needs_server
def test_the_banner_hides_the_password_and_workers_share_the_database(tmp_path):
    url = store_for(tmp_path)
    with ServerProcess("--store", url, "--workers", "2") as server:
        banner = server.wait_output("mailboxes (HTTP Basic)")
        assert "ews-test" not in banner
        assert "store:  postgresql://ews:***@127.0.0.1:" in banner
        meeting_id, _ = Soap(server.endpoint, "AlexW@contoso.com").create_meeting(
            "Across processes", *LUNCH, attendees=["AdeleV@contoso.com"])
    # A second server on the same database (another machine, say) sees the meeting.
    with ServerProcess("--store", url) as other:
        item = Soap(other.endpoint, "AlexW@contoso.com").get(meeting_id)
        assert item.text("//t:CalendarItem/t:Subject") == "Across processes"


def test_the_suite_runs_on_the_backend_it_was_asked_for(emulator):
    from ews_propose.store.postgresql import PostgresStore
    from ews_propose.store.sqlite import SqliteStore

    assert isinstance(emulator.server.store, PostgresStore if on_postgresql() else SqliteStore)
    emulator.soap("AlexW@contoso.com").create_meeting("Where am I", *LUNCH)


@needs_server
def test_check_reads_a_database_and_finds_a_row_that_disagrees_with_its_record(tmp_path):
    import psycopg

    from .store_check import assert_store_clean, run_check

    url = store_for(tmp_path)
    with ServerProcess("--store", url) as server:
        Soap(server.endpoint, "AlexW@contoso.com").create_meeting("Checked", *LUNCH)
    out = assert_store_clean(url)
    assert "ews-test" not in out and out.startswith("postgresql://ews:***@")
    with psycopg.connect(url, autocommit=True) as conn:
        (item_id,) = conn.execute("SELECT id FROM items WHERE kind = 'calendar_item'").fetchone()
        conn.execute("UPDATE items SET folder = 'inbox' WHERE id = %s", (item_id,))
    done = run_check(url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"integrity: item {item_id}: its folder column(s) disagree with its record" in done.stdout


@needs_server
def test_a_version_3_database_is_migrated_in_place(tmp_path):
    """A store from before the long_item column (schema 3) opens, upgrades, and finds a
    long item from the middle of it."""
    from datetime import UTC, datetime, timedelta

    import psycopg

    from ews_propose.directory import Directory
    from ews_propose.rules import MeetingRules, NewItem
    from ews_propose.rules import model as m
    from ews_propose.store import open_store
    from ews_propose.store.schema import SCHEMA_VERSION

    noon = datetime(2030, 3, 1, 12, tzinfo=UTC)
    url = store_for(tmp_path)
    with open_store(url) as store:
        rules = MeetingRules(store, Directory.demo())
        rules.create_calendar_item("AlexW@contoso.com", NewItem(kind=m.CALENDAR_ITEM, subject="Conference",
                                                               start=noon, end=noon + timedelta(days=20)))
    with psycopg.connect(url, autocommit=True) as conn:  # as schema 3 left it
        conn.execute("DROP INDEX items_long")
        conn.execute("ALTER TABLE items DROP COLUMN long_item")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        conn.execute("INSERT INTO meta VALUES ('longest_item_s', '1728000')")
    with open_store(url) as store:
        rules = MeetingRules(store, Directory.demo())
        middle = (noon + timedelta(days=10), noon + timedelta(days=11))
        assert [i.subject for i in rules.calendar_view("AlexW@contoso.com", m.CALENDAR, *middle)] == ["Conference"]
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall() == [
            ("schema_version", str(SCHEMA_VERSION))]
        assert conn.execute("SELECT long_item FROM items").fetchall() == [(1,)]
