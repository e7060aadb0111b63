"""The `ews-propose serve` contract: endpoint line, port 0, directory files, persistence."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager

import pytest

from .ews import Soap
from .server_process import ServerProcess

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


def serve_fails(*args: str, env: dict | None = None) -> str:
    """`ews-propose serve ARGS` must stop at once: exit 2, one line on stderr, nothing else."""
    proc = subprocess.run([sys.executable, "-m", "ews_propose", "serve", *args],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    return proc.stderr.strip().splitlines()[-1]


def test_the_default_store_folder_is_created_in_a_fresh_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")} | {"HOME": str(home)}
    proc = ServerProcess(env=env)
    try:
        store = home / ".local" / "share" / "ews-propose" / "store.sqlite3"
        for _ in range(100):  # the banner's later lines may still be on their way
            if f"store:  {store}" in proc.output:
                break
            threading.Event().wait(0.05)
        assert f"store:  {store}" in proc.output
        answer = Soap(proc.endpoint, "AlexW@contoso.com").call(
            '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
            '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
        assert answer.response_codes == ["NoError"]
        assert store.is_file()
    finally:
        proc.kill()


def test_store_problems_are_named_as_store_problems(tmp_path):
    assert serve_fails("--store", str(tmp_path)) == (
        f"ews-propose: store {tmp_path}: is a directory; give a file path such as {tmp_path}/store.sqlite3")
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    assert "exists and is not an SQLite database" in serve_fails("--store", str(text))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing written beside it
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert "cannot create the folder" in serve_fails("--store", str(blocker / "sub" / "s.sqlite3"))


def test_a_directory_file_that_is_not_utf8_is_one_line(tmp_path):
    directory = tmp_path / "dir.toml"
    directory.write_text('[[mailbox]]\nsmtp = "pat@example.org"\npassword = "x"\n', encoding="utf-16")
    line = serve_fails("--directory", str(directory))
    assert line.startswith(f"ews-propose: {directory}: not UTF-8 text") and "UTF-16" in line


def test_a_port_in_use_is_named(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = serve_fails("--port", str(port), "--store", ":memory:")
    assert line.startswith(f"ews-propose: cannot listen on 127.0.0.1:{port}: the port is already in use")


@pytest.mark.parametrize("args, expected", [
    (("--server-build", "1.2.3.4"), "no Exchange release has major version 1"),
    (("--max-request-bytes", "0"), "--max-request-bytes must be at least 1024"),
    (("--max-request-bytes", "-1"), "--max-request-bytes must be at least 1024"),
    (("--threads", "0"), "--threads must be at least 1"),
    (("--max-request-seconds", "0"), "--max-request-seconds must be more than 0"),
    (("--max-request-seconds", "soon"), "invalid --max-request-seconds 'soon'"),
    (("--workers", "2", "--store", ":memory:"), "--workers needs a store file"),
])
def test_bad_flags_are_usage_errors(args, expected):
    assert expected in serve_fails(*args)


def test_serve_keeps_serving_when_its_output_pipe_closes():
    """`ews-propose serve --port 0 | head -1`: once the reader has gone, the banner's
    next line meets a closed pipe. Here the pipe is closed before the first line."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.Popen([sys.executable, "-m", "ews_propose", "serve", "--port", str(port),
                             "--store", ":memory:"], stdout=write_end, stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    try:
        endpoint = f"http://127.0.0.1:{port}/EWS/Exchange.asmx"
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                threading.Event().wait(0.05)
        answer = Soap(endpoint, "AlexW@contoso.com").call(
            '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
            '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
        assert answer.response_codes == ["NoError"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_version_flag():
    proc = subprocess.run([sys.executable, "-m", "ews_propose", "--version"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0
    assert re.fullmatch(r"ews-propose \d+\.\d+\.\d+\S*\n", proc.stdout)
