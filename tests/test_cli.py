"""The `ews-propose serve` contract: endpoint line, port 0, directory files, persistence."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from contextlib import contextmanager

import pytest

from .ews import Soap

LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
ENDPOINT_LINE = re.compile(r"(http://127\.0\.0\.1:(\d+)/EWS/Exchange\.asmx)")


@contextmanager
def serving(*args: str):
    proc = subprocess.Popen(
        [sys.executable, "-m", "ews_propose", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    found: list[str] = []
    lines: list[str] = []

    def read():
        for line in proc.stdout:
            lines.append(line)
            m = ENDPOINT_LINE.search(line)
            if m and not found:
                found.append(m.group(1))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        for _ in range(200):
            if found or proc.poll() is not None:
                break
            threading.Event().wait(0.05)
        assert found, f"no endpoint line; stdout={lines} stderr={proc.stderr.read() if proc.poll() is not None else ''}"
        yield found[0], lines
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_prints_its_endpoint_and_demo_passwords(tmp_path):
    with serving("--store", str(tmp_path / "s.sqlite3")) as (endpoint, lines):
        port = int(ENDPOINT_LINE.search(endpoint).group(2))
        assert port != 0
        banner = "".join(lines)
        assert "AlexW@contoso.com" in banner and "alex-demo-pw" in banner
        answer = Soap(endpoint, "AlexW@contoso.com").call(
            '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
            '<m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>')
        assert answer.text("//t:CalendarFolder/t:DisplayName") == "Calendar"


def test_a_store_file_survives_a_restart(tmp_path):
    store = str(tmp_path / "store.sqlite3")
    with serving("--store", store) as (endpoint, _):
        meeting_id, _ = Soap(endpoint, "AlexW@contoso.com").create_meeting("Lunch", *LUNCH)
    with serving("--store", store) as (endpoint, _):
        assert Soap(endpoint, "AlexW@contoso.com").get(meeting_id).text("//t:Subject") == "Lunch"
        assert len(Soap(endpoint, "AdeleV@contoso.com").find_ids("inbox", "MeetingRequest")) == 1


def test_directory_file_mailboxes(tmp_path):
    directory = tmp_path / "dir.toml"
    directory.write_text('[[mailbox]]\nsmtp = "pat@example.org"\nname = "Pat"\npassword = "s3cret"\n'
                         '[[mailbox]]\nsmtp = "board@example.org"\nname = "Board Room"\n'
                         'password = "r00m"\nkind = "room"\n')
    with serving("--store", ":memory:", "--directory", str(directory)) as (endpoint, lines):
        assert "s3cret" not in "".join(lines)  # a directory file's passwords are not printed
        pat = Soap(endpoint, "pat@example.org", "s3cret")
        pat.create_meeting("Review", *LUNCH, attendees=(), rooms=("board@example.org",))
        ((response_id, _),) = pat.find_ids("inbox", "MeetingResponse")
        assert pat.get(response_id).text("//t:Subject") == "Accepted: Review"
        # The demo mailboxes are not there.
        assert Soap(endpoint, "AlexW@contoso.com", "alex-demo-pw").post(b"<x/>").status == 401


@pytest.mark.parametrize("content, expected", [
    ('[[mailbox]]\nsmtp = "pat@example.org"\nname = "Pat"\n', "mailbox #1 (pat@example.org): 'password'"),
    ('[[mailbox]]\nsmtp = "pat"\npassword = "x"\n', "mailbox #1 (pat): 'smtp' must be an e-mail address"),
    ('[[mailbox]]\nsmtp = "a@b.org"\npassword = "x"\nkind = "robot"\n', "'kind' must be one of user, room"),
    ('[[mailbox]]\nsmtp = "a@b.org"\npassword = "x"\n[[mailbox]]\nsmtp = "A@b.org"\npassword = "y"\n',
     "mailbox #2 (A@b.org): duplicate mailbox"),
    ("[[mailbox]\n", "not valid TOML"),
])
def test_bad_directory_file_exits_2_naming_file_and_entry(tmp_path, content, expected):
    directory = tmp_path / "bad.toml"
    directory.write_text(content)
    proc = subprocess.run([sys.executable, "-m", "ews_propose", "serve", "--directory", str(directory)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert str(directory) in proc.stderr
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_server_build_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "ews_propose", "serve", "--server-build", "15.0"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "invalid server build" in proc.stderr
