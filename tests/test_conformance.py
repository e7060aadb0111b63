"""The conformance suite run as a user runs it: ``ews-propose conformance`` in a subprocess
against a running emulator, its table, exit status and JUnit file; and against servers
that break a rule, to show a broken rule is reported as a failure."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ews_propose.cli import main
from ews_propose.conformance import CHECKS, PROJECT_DECISION, Target, run_suite
from ews_propose.conformance.run import FOLDERS
from ews_propose.conformance.wire import SoapLine
from ews_propose.server import EmulatorServer, ServerConfig
from ews_propose.versions import Build

ORGANIZER, ATTENDEE = "AlexW@contoso.com", "AdeleV@contoso.com"
PASSWORDS = {ORGANIZER: "alex-demo-pw", ATTENDEE: "adele-demo-pw"}
CLI = [sys.executable, "-m", "ews_propose"]
ENV = {**os.environ, "EWS_ORGANIZER_PASSWORD": PASSWORDS[ORGANIZER], "EWS_ATTENDEE_PASSWORD": PASSWORDS[ATTENDEE]}
NEEDS_PROPOSALS = {"proposal-returns-ids", "proposal-placement", "organizer-gets-proposal",
                   "attendee-entry-shows-proposal", "error-proposal-disallowed", "gating-old-schema"}


@pytest.fixture
def serve(tmp_path) -> Iterator[Callable[..., str]]:
    """Start ``ews-propose serve`` as a subprocess; returns its endpoint."""
    started: list[subprocess.Popen] = []

    def start(*extra: str) -> str:
        proc = subprocess.Popen([*CLI, "serve", "--port", "0", "--store", str(tmp_path / f"s{len(started)}.sqlite3"),
                                 *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(proc)
        first = proc.stdout.readline()
        match = re.match(r"ews-propose listening on (\S+)", first)
        assert match, first + proc.stderr.read()
        return match.group(1)

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def conformance(endpoint: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "conformance", "--endpoint", endpoint, "--organizer", ORGANIZER,
                           "--attendee", ATTENDEE, *extra], env=ENV, capture_output=True, text=True, timeout=300)


def results(stdout: str) -> dict[str, str]:
    """Check id -> PASS/FAIL/ERROR/SKIP, from the table's rows."""
    ids = {c.id for c in CHECKS}
    found = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) >= 3 and cells[0] in ids:
            found[cells[0]] = cells[1]
    return found


def junit_cases(path: Path) -> tuple[ET.Element, dict[str, ET.Element]]:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    return suite, {case.get("name"): case for case in suite.findall("testcase")}


def leftovers(endpoint: str) -> list[str]:
    """Every item still in any folder the suite touches, in both mailboxes."""
    left = []
    for smtp in (ORGANIZER, ATTENDEE):
        line = SoapLine(endpoint, smtp, PASSWORDS[smtp])
        for folder in FOLDERS:
            left += [f"{smtp} {folder}: {i.subject}" for i in line.find_items(folder)]
        line.close()
    return left


def test_the_emulator_passes_the_whole_suite(serve, tmp_path):
    endpoint = serve()
    junit = tmp_path / "conformance.xml"
    run = conformance(endpoint, "--junit", str(junit))
    assert run.returncode == 0, run.stdout + run.stderr

    table = results(run.stdout)
    assert table == {c.id: ("SKIP" if c.id == "gating-old-build" else "PASS") for c in CHECKS}
    assert "build 15.02.1544.004, RequestServerVersion Exchange2013" in run.stdout
    assert f"OK: {len(CHECKS)} checks: {len(CHECKS) - 1} passed, 0 failed, 0 errors, 1 skipped" in run.stdout
    assert "project decision" in run.stdout

    suite, cases = junit_cases(junit)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        str(len(CHECKS)), "0", "0", "1")
    assert list(cases) == [c.id for c in CHECKS]
    for check in CHECKS:
        props = {p.get("name"): p.get("value") for p in cases[check.id].find("properties")}
        assert props["rule"] == check.rule and props["basis"] == check.basis
    decided = {name for name, case in cases.items() if case.get("classname") == "conformance.project_decision"}
    assert decided == {c.id for c in CHECKS if c.basis == PROJECT_DECISION} == {
        "error-proposal-disallowed", "gating-old-schema"}
    assert cases["gating-old-build"].find("skipped") is not None

    # Cleanup deleted everything the run created, in both mailboxes.
    run_id = re.search(r"run id (ewsconf-[0-9a-f]{8})", run.stdout).group(1)
    assert re.search(r"cleanup: deleted AlexW@contoso.com: \d+, AdeleV@contoso.com: \d+", run.stdout)
    assert leftovers(endpoint) == []
    assert run_id in {p.get("value") for p in suite.find("properties")}


def test_an_older_build_changes_the_expectations(serve):
    endpoint = serve("--server-build", "15.00.0775.038")
    run = conformance(endpoint)
    assert run.returncode == 0, run.stdout + run.stderr
    table = results(run.stdout)
    assert {k for k, v in table.items() if v == "SKIP"} == NEEDS_PROPOSALS
    assert table["gating-old-build"] == "PASS"
    assert table["offers-propose-new-time"] == "PASS"
    assert "build 15.00.0775.038" in run.stdout
    assert leftovers(endpoint) == []


# --- servers that break a rule ----------------------------------------------------------

def rewriting(transform: Callable[[bytes], bytes]) -> Callable:
    """A WSGI middleware that edits every SOAP answer's bytes: a server with a bug."""
    def wrap(app):
        def wsgi(environ, start_response):
            seen = {}

            def capture(status, headers, exc_info=None):
                seen["status"], seen["headers"] = status, headers

            body = transform(b"".join(app(environ, capture)))
            headers = [(k, v) for k, v in seen["headers"] if k.lower() != "content-length"]
            start_response(seen["status"], [*headers, ("Content-Length", str(len(body)))])
            return [body]
        return wsgi
    return wrap


def broken_server(tmp_path, transform) -> EmulatorServer:
    return EmulatorServer(ServerConfig(port=0, store=str(tmp_path / "broken.sqlite3")),
                          wrap=rewriting(transform)).start()


def test_a_server_that_hides_propose_new_time_fails_that_check(tmp_path):
    server = broken_server(tmp_path, lambda body: body.replace(b"<t:ProposeNewTime/>", b""))
    try:
        junit = tmp_path / "broken.xml"
        run = conformance(server.endpoint, "--junit", str(junit))
        assert run.returncode == 1, run.stdout + run.stderr
        table = results(run.stdout)
        assert table["offers-propose-new-time"] == "FAIL"
        # ... and so does the check that an occurrence of a series offers it.
        assert [k for k, v in table.items() if v in ("FAIL", "ERROR")] == [
            "offers-propose-new-time", "no-propose-on-series"]
        assert "should offer ProposeNewTime" in run.stdout
        assert "FAILED: 16 checks: 13 passed, 2 failed" in run.stdout

        suite, cases = junit_cases(junit)
        assert suite.get("failures") == "2"
        failure = cases["offers-propose-new-time"].find("failure")
        assert failure is not None and "should offer ProposeNewTime" in failure.get("message")
        assert leftovers(server.endpoint) == []  # cleaned up although a check failed
    finally:
        server.stop()


def test_a_server_that_misreports_its_build_fails_the_gating_checks(tmp_path):
    # Claims Exchange 2013 CU3 (no proposals) while offering and taking them.
    claim = re.compile(rb'MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" MinorBuildNumber="4"')
    server = broken_server(tmp_path, lambda body: claim.sub(
        b'MajorVersion="15" MinorVersion="0" MajorBuildNumber="775" MinorBuildNumber="38"', body))
    try:
        run = conformance(server.endpoint)
        assert run.returncode == 1, run.stdout + run.stderr
        table = results(run.stdout)
        assert table["offers-propose-new-time"] == "FAIL"
        assert table["gating-old-build"] == "FAIL"
        assert "must not offer ProposeNewTime" in run.stdout
        assert "accepted a proposal" in run.stdout
        assert leftovers(server.endpoint) == []
    finally:
        server.stop()


# --- the command's own behaviour ------------------------------------------------------------

def test_runs_are_isolated_by_their_run_id(ews_emulator):
    # Two runs at once against one server: each finds only its own items, at its own times.
    target = Target(ews_emulator.endpoint, ORGANIZER, ATTENDEE, PASSWORDS[ORGANIZER], PASSWORDS[ATTENDEE],
                    wait_seconds=10)
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(run_suite(target))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(reports) == 2
    assert reports[0].run_id != reports[1].run_id
    for report in reports:
        assert report.ok, [(r.check.id, r.status, r.detail) for r in report.results if r.status != "PASS"]
    subjects = [c.request_xml for c in ews_emulator.requests.of("CreateItem") if b"<t:CalendarItem>" in c.request_xml]
    starts = [re.search(rb"<t:Start>([^<]+)</t:Start>", x).group(1) for x in subjects]
    assert len(starts) == len(set(starts))  # no two meetings share a slot
    assert leftovers(ews_emulator.endpoint) == []


def test_passwords_come_only_from_the_environment(ews_emulator, monkeypatch, capsys):
    monkeypatch.delenv("EWS_ORGANIZER_PASSWORD", raising=False)
    monkeypatch.delenv("EWS_ATTENDEE_PASSWORD", raising=False)
    argv = ["conformance", "--endpoint", ews_emulator.endpoint, "--organizer", ORGANIZER, "--attendee", ATTENDEE]
    assert main(argv) == 2
    assert "EWS_ORGANIZER_PASSWORD is not set" in capsys.readouterr().err

    monkeypatch.setenv("ORG_PW", PASSWORDS[ORGANIZER])
    monkeypatch.setenv("ATT_PW", "wrong")
    assert main([*argv, "--organizer-password-env", "ORG_PW", "--attendee-password-env", "ATT_PW"]) == 2
    assert "refused the login of AdeleV@contoso.com (HTTP 401)" in capsys.readouterr().err
    assert ews_emulator.requests.of("CreateItem") == []  # nothing was created

    monkeypatch.setenv("ATT_PW", PASSWORDS[ATTENDEE])
    assert main([*argv, "--organizer-password-env", "ORG_PW", "--attendee-password-env", "ATT_PW",
                 "--check", "error-stale-change-key"]) == 0
    out = capsys.readouterr().out
    assert results(out) == {"error-stale-change-key": "PASS"}
    assert PASSWORDS[ATTENDEE] not in out


def test_shared_password_env(ews_emulator, monkeypatch, capsys):
    ews_emulator.add_mailbox("pat@fabrikam.test", "Pat", password="same-pw")
    ews_emulator.add_mailbox("sam@fabrikam.test", "Sam", password="same-pw")
    monkeypatch.setenv("BOTH_PW", "same-pw")
    assert main(["conformance", "--endpoint", ews_emulator.endpoint, "--organizer", "pat@fabrikam.test",
                 "--attendee", "sam@fabrikam.test", "--password-env", "BOTH_PW",
                 "--check", "no-propose-for-organizer", "--check", "error-organizer-replies"]) == 0
    assert results(capsys.readouterr().out) == {"no-propose-for-organizer": "PASS", "error-organizer-replies": "PASS"}


@pytest.mark.parametrize("argv, message", [
    (["--organizer", ORGANIZER, "--attendee", ATTENDEE], "--endpoint required"),
    (["--endpoint", "http://x", "--organizer", ORGANIZER, "--attendee", ORGANIZER.lower()], "must be different"),
    (["--endpoint", "http://x", "--organizer", ORGANIZER, "--attendee", ATTENDEE, "--check", "nope"],
     "unknown check(s): nope"),
])
def test_usage_errors(argv, message, capsys):
    assert main(["conformance", *argv]) == 2
    assert message in capsys.readouterr().err


def test_unreachable_endpoint_is_a_setup_error(monkeypatch, capsys):
    monkeypatch.setenv("EWS_ORGANIZER_PASSWORD", "x")
    monkeypatch.setenv("EWS_ATTENDEE_PASSWORD", "y")
    assert main(["conformance", "--endpoint", "http://127.0.0.1:9/EWS/Exchange.asmx", "--organizer", ORGANIZER,
                 "--attendee", ATTENDEE, "--connect-wait", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach http://127.0.0.1:9/EWS/Exchange.asmx: connection refused (waited 0.5 s)" in err


def test_a_server_started_just_before_the_suite_is_waited_for(tmp_path):
    """The README's `serve ... &` then `conformance ...`: the suite may start first."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}/EWS/Exchange.asmx"
    suite = subprocess.Popen([*CLI, "conformance", "--endpoint", endpoint, "--organizer", ORGANIZER,
                              "--attendee", ATTENDEE, "--check", "offers-propose-new-time"],
                             env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    threading.Event().wait(1.0)  # the suite is already knocking on a closed port
    server = subprocess.Popen([*CLI, "serve", "--port", str(port), "--store", ":memory:"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        out, err = suite.communicate(timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert suite.returncode == 0, out + err
    assert results(out) == {"offers-propose-new-time": "PASS"}


def test_list_names_every_check_and_its_basis(capsys):
    assert main(["conformance", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [c.id for c in CHECKS]
    assert [line for line in lines if "(project decision)" in line] == [
        line for line in lines if line.split()[0] in ("error-proposal-disallowed", "gating-old-schema")]


def test_every_check_cites_a_rule():
    assert len({c.id for c in CHECKS}) == len(CHECKS)
    for c in CHECKS:
        assert c.rule and c.title
        assert (c.basis == PROJECT_DECISION) == c.rule.startswith("Project decision")
    assert Build.parse("15.00.0800.007")  # the gate every build-dependent check reads


def test_on_a_terminal_a_progress_bar_shows_the_checks_done(ews_emulator):
    """Run under a pseudo-terminal, as a person runs it: rich draws a bar with N/total."""
    from .terminal import run_in_terminal

    status, screen = run_in_terminal([*CLI, "conformance", "--endpoint", ews_emulator.endpoint, "--organizer",
                                      ORGANIZER, "--attendee", ATTENDEE, "--check", "error-stale-change-key",
                                      "--check", "proposal-returns-ids"], ENV)
    assert status == 0, screen
    assert re.search(r"checks.*[0-2]/2", screen), screen
    assert "PASS  error-stale-change-key" in screen


def test_without_a_terminal_there_is_no_bar(serve):
    endpoint = serve()
    run = conformance(endpoint, "--check", "error-stale-change-key")
    assert run.returncode == 0
    assert "\x1b[" not in run.stdout and "1/1" not in run.stdout
