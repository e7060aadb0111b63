"""`ews-propose meeting-requests | propose | proposals | accept-proposal |
decline-proposal` as a user types them, against an emulator served by `ews-propose serve`
in another process. Output is piped (not a terminal), as in scripts and CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from ews_propose.client import EwsClient
from ews_propose.client.session import items_of

from .ews import PASSWORDS
from .server_process import ServerProcess
from .test_cli import serving

HOUR = timedelta(hours=1)
# The command line refuses to move a meeting into the past: keep every slot ahead of now.
LUNCH = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=30)
NEXT_DAY = LUNCH + timedelta(days=1)


def day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def cli(endpoint: str | None, user: str | None, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EWS_") and k != "COLUMNS"}
    if endpoint:
        env["EWS_ENDPOINT"] = endpoint
    if user:
        env.update(EWS_USER=user, EWS_PASSWORD=PASSWORDS[user])
    return subprocess.run([sys.executable, "-m", "ews_propose", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def clean_failure(proc: subprocess.CompletedProcess, code: int = 1) -> str:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def users(endpoint: str) -> tuple[EwsClient, EwsClient]:
    return tuple(EwsClient(endpoint, user=smtp, password=PASSWORDS[smtp])
                 for smtp in ("AlexW@contoso.com", "AdeleV@contoso.com"))


def test_the_whole_workflow_with_the_command_line_alone(tmp_path):
    with serving("--store", str(tmp_path / "s.sqlite3")) as (endpoint, _):
        alex, adele = users(endpoint)
        meeting = alex.create_meeting("Lunch", LUNCH, LUNCH + HOUR, required=["AdeleV@contoso.com"],
                                      resources=["Rainier@contoso.com"])

        # Adele finds the request's id without writing Python.
        listed = cli(endpoint, "AdeleV@contoso.com", "meeting-requests")
        assert listed.returncode == 0, listed.stderr
        (request,) = adele.meeting_requests()
        assert request.id in listed.stdout  # piped: ids are not wrapped or cut
        for text in ("Lunch", "Alex Wilber", f"{day(LUNCH)} 12:00Z-13:00Z", "yes"):
            assert text in listed.stdout
        (as_json,) = json.loads(cli(endpoint, "AdeleV@contoso.com", "meeting-requests", "--json").stdout)
        assert as_json["id"] == request.id and as_json["can_propose"] is True
        assert as_json["start"] == LUNCH.strftime("%Y-%m-%dT%H:%M:%SZ")

        naive = cli(endpoint, "AdeleV@contoso.com", "propose", request.id,
                    "--start", f"{day(NEXT_DAY)}T12:00", "--end", f"{day(NEXT_DAY)}T13:00")
        assert "has no time zone" in clean_failure(naive, 2)

        proposed = cli(endpoint, "AdeleV@contoso.com", "propose", request.id, "--start",
                       f"{day(NEXT_DAY)}T13:00+01:00", "--end", f"{day(NEXT_DAY)}T14:00+01:00",
                       "--comment", "Tomorrow?")
        assert proposed.returncode == 0, proposed.stderr
        assert f"Proposed {day(NEXT_DAY)} 12:00Z-13:00Z (tentative)." in proposed.stdout
        (calendar_item,) = [line.split(":", 1)[1].strip() for line in proposed.stdout.splitlines()
                            if "your calendar item:" in line]
        assert calendar_item == request.calendar_item.id
        assert f"the meeting request: {request.id}" in proposed.stdout

        listed = cli(endpoint, "AlexW@contoso.com", "proposals")
        assert listed.returncode == 0, listed.stderr
        (proposal,) = alex.proposals()
        assert proposal.id in listed.stdout
        for text in ("Lunch", "Adele Vance", f"{day(LUNCH)} 12:00Z-13:00Z",
                     f"{day(NEXT_DAY)} 12:00Z-13:00Z", "Tentative", "Tomorrow?", "everyone free"):
            assert text in listed.stdout
        assert max(len(line) for line in listed.stdout.splitlines()) > 80  # not cut at 80 columns
        (row,) = json.loads(cli(endpoint, "AlexW@contoso.com", "proposals", "--json").stdout)
        assert (row["id"], row["state"], row["availability"]["everyone_free"]) == (proposal.id, "open", True)
        assert row["proposed"] == {"start": NEXT_DAY.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   "end": (NEXT_DAY + HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")}

        accepted = cli(endpoint, "AlexW@contoso.com", "accept-proposal", proposal.id)
        assert accepted.returncode == 0, accepted.stderr
        assert f"Moved 'Lunch' to {day(NEXT_DAY)} 12:00Z-13:00Z" in accepted.stdout
        assert alex.meeting(meeting.id).start == NEXT_DAY

        again = cli(endpoint, "AlexW@contoso.com", "accept-proposal", proposal.id)
        assert "has moved to" in clean_failure(again)
        assert "No open proposals." in cli(endpoint, "AlexW@contoso.com", "proposals").stdout


def test_accept_refuses_a_busy_or_past_slot_unless_forced(tmp_path):
    with serving("--store", ":memory:") as (endpoint, _):
        alex, adele = users(endpoint)
        meeting = alex.create_meeting("Lunch", LUNCH, LUNCH + HOUR, required=["AdeleV@contoso.com"])
        alex.create_meeting("Board review", NEXT_DAY, NEXT_DAY + HOUR)  # Alex is busy then
        adele.propose_new_time(adele.meeting_requests()[0], NEXT_DAY, NEXT_DAY + HOUR)
        (proposal,) = alex.proposals()

        busy = clean_failure(cli(endpoint, "AlexW@contoso.com", "accept-proposal", proposal.id))
        assert "not everyone is free" in busy and "Alex Wilber: busy (Board review" in busy
        assert "--force" in busy
        # the server's suggestions: times that day when everyone is free, never the board review's
        hint = busy.split("Everyone is free that day at ", 1)[1].split(". Pass", 1)[0]
        assert hint.startswith(day(NEXT_DAY)) and f"{day(NEXT_DAY)} 12:00Z" not in hint
        (row,) = json.loads(cli(endpoint, "AlexW@contoso.com", "proposals", "--json").stdout)
        assert row["availability"]["everyone_free"] is False
        starts = [t["start"] for t in row["everyone_free_at"]]
        assert len(starts) == 3 and NEXT_DAY.strftime("%Y-%m-%dT%H:%M:%SZ") not in starts
        listed = cli(endpoint, "AlexW@contoso.com", "proposals").stdout
        assert "everyone free:" in listed and hint.split(",")[0] in listed
        assert alex.meeting(meeting.id).start == LUNCH  # nothing moved

        forced = cli(endpoint, "AlexW@contoso.com", "accept-proposal", proposal.id, "--force")
        assert forced.returncode == 0, forced.stderr
        assert alex.meeting(meeting.id).start == NEXT_DAY

        past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
        old = alex.create_meeting("Retro", LUNCH + timedelta(days=3), LUNCH + timedelta(days=3) + HOUR,
                                  required=["AdeleV@contoso.com"])
        request = next(r for r in adele.meeting_requests() if r.subject == "Retro")
        adele.propose_new_time(request, past, past + HOUR)
        late = next(p for p in alex.proposals(open_only=True) if p.subject == "Retro")
        assert "has already begun" in clean_failure(cli(endpoint, "AlexW@contoso.com", "accept-proposal",
                                                        late.id))
        assert alex.meeting(old.id).start == LUNCH + timedelta(days=3)


def test_decline_closes_the_proposal_and_expected_failures(tmp_path):
    with serving("--store", ":memory:") as (endpoint, _):
        alex, adele = users(endpoint)
        alex.create_meeting("Lunch", LUNCH, LUNCH + HOUR, required=["AdeleV@contoso.com"])
        adele.propose_new_time(adele.meeting_requests()[0], NEXT_DAY, NEXT_DAY + HOUR)
        (proposal,) = alex.proposals()

        declined = cli(endpoint, "AlexW@contoso.com", "decline-proposal", proposal.id,
                       "--comment", "Tomorrow is full.")
        assert declined.returncode == 0, declined.stderr
        assert f"the meeting stays at {day(LUNCH)} 12:00Z-13:00Z" in declined.stdout
        assert alex.meeting(proposal.meeting.ref.id).start == LUNCH
        # Closed: no longer listed, and a second run does not write to Adele again.
        assert "No open proposals." in cli(endpoint, "AlexW@contoso.com", "proposals").stdout
        assert "declined" in cli(endpoint, "AlexW@contoso.com", "proposals", "--all").stdout
        twice = cli(endpoint, "AlexW@contoso.com", "decline-proposal", proposal.id)
        assert "already declined" in clean_failure(twice)
        (inbox,) = adele.session.messages(
            "FindItem", Traversal="Shallow", ItemShape={"BaseShape": "Default"},
            ParentFolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "inbox"}}]})
        subjects = [v.Subject for _, v in items_of(inbox.RootFolder)]
        assert subjects.count("Re: New Time Proposed: Lunch") == 1

        unknown = cli(endpoint, "AlexW@contoso.com", "accept-proposal", "AUVQnotanid")
        assert clean_failure(unknown).startswith("ews-propose accept-proposal: ")

        started = time.monotonic()
        wrong = cli(endpoint, None, "proposals", "--user", "AlexW@contoso.com", "--password", "nope")
        assert "refused the credentials (HTTP 401)" in clean_failure(wrong)
        one_run = time.monotonic() - started  # starting the command line on this machine, now

        started = time.monotonic()
        tls = cli(endpoint.replace("http://", "https://"), "AlexW@contoso.com", "proposals")
        assert "does not speak TLS there; try http://" in clean_failure(tls)
        # Answered at once, not after the client's 60 s timeout: measured against an ordinary
        # run of the command just before, so a loaded machine does not fail it.
        assert time.monotonic() - started < min(3 * one_run + 5, 45)

    gone = cli(endpoint, "AlexW@contoso.com", "proposals")  # the server has stopped
    assert "cannot reach" in clean_failure(gone)


def test_usage_errors_exit_2_with_one_line():
    no_endpoint = cli(None, "AlexW@contoso.com", "proposals")
    assert "no endpoint: pass --endpoint or set EWS_ENDPOINT" in clean_failure(no_endpoint, 2)
    no_scheme = cli("127.0.0.1:8765/EWS/Exchange.asmx", "AlexW@contoso.com", "proposals")
    assert "is not an http:// or https:// URL" in clean_failure(no_scheme, 2)
    bad_schema = cli("http://127.0.0.1:9/EWS/Exchange.asmx", "AlexW@contoso.com", "proposals",
                     "--schema-version", "Exchange2099")
    assert "unknown EWS schema version" in clean_failure(bad_schema, 2)
    bad_time = cli("http://127.0.0.1:9/EWS/Exchange.asmx", "AdeleV@contoso.com", "propose", "X",
                   "--start", "tomorrow", "--end", "later")
    assert "is not an ISO 8601 date-time" in clean_failure(bad_time, 2)


def test_the_command_line_over_https_with_the_printed_ca(tmp_path):
    server = ServerProcess("--store", str(tmp_path / "s.sqlite3"), "--tls")
    try:
        assert server.endpoint.startswith("https://")
        ca = tmp_path / "tls" / "ca.pem"
        server.wait_output(f"TLS CA: {ca}")
        trusted = cli(server.endpoint, "AlexW@contoso.com", "proposals", "--ca-bundle", str(ca))
        assert trusted.returncode == 0, trusted.stderr
        assert "No open proposals." in trusted.stdout
        untrusted = cli(server.endpoint, "AlexW@contoso.com", "proposals")
        assert "certificate is not trusted; pass the CA file" in clean_failure(untrusted)
        missing = cli(server.endpoint, "AlexW@contoso.com", "proposals", "--ca-bundle", str(tmp_path / "no.pem"))
        assert "no such file" in clean_failure(missing, 2)
    finally:
        server.kill()
