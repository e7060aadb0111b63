"""`ews-propose propose | proposals | accept-proposal | decline-proposal` as a user types
them, against an emulator served by `ews-propose serve` in another process."""

from __future__ import annotations

import os
import subprocess
import sys

from ews_propose.client import EwsClient

from .ews import PASSWORDS
from .test_cli import serving
from .test_client import HOUR, LUNCH, NEXT_DAY


def cli(endpoint: str | None, user: str | None, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EWS_")}
    env["COLUMNS"] = "250"  # rich wraps to 80 columns when not on a terminal
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


def test_propose_review_accept_from_the_command_line(tmp_path):
    with serving("--store", str(tmp_path / "s.sqlite3")) as (endpoint, _):
        alex = EwsClient(endpoint, user="AlexW@contoso.com", password=PASSWORDS["AlexW@contoso.com"])
        meeting = alex.create_meeting("Lunch", LUNCH, LUNCH + HOUR, required=["AdeleV@contoso.com"],
                                      resources=["Rainier@contoso.com"])
        adele = EwsClient(endpoint, user="AdeleV@contoso.com", password=PASSWORDS["AdeleV@contoso.com"])
        (request,) = adele.meeting_requests()

        naive = cli(endpoint, "AdeleV@contoso.com", "propose", request.id,
                    "--start", "2026-12-02T12:00", "--end", "2026-12-02T13:00")
        assert "has no time zone" in clean_failure(naive)

        proposed = cli(endpoint, "AdeleV@contoso.com", "propose", request.id, "--start",
                       "2026-12-02T13:00+01:00", "--end", "2026-12-02T14:00+01:00", "--decline",
                       "--comment", "Tomorrow?")
        assert proposed.returncode == 0, proposed.stderr
        assert "Proposed 2026-12-02 12:00Z-13:00Z (decline)." in proposed.stdout

        listed = cli(endpoint, "AlexW@contoso.com", "proposals")
        assert listed.returncode == 0, listed.stderr
        (proposal,) = alex.proposals()
        assert proposal.id in listed.stdout.replace("\n", "").replace("│", "").replace(" ", "")
        for text in ("Lunch", "Adele Vance", "2026-12-01 12:00Z-13:00Z", "2026-12-02 12:00Z-13:00Z",
                     "Decline", "Tomorrow?"):
            assert text in listed.stdout

        accepted = cli(endpoint, "AlexW@contoso.com", "accept-proposal", proposal.id)
        assert accepted.returncode == 0, accepted.stderr
        assert "Moved 'Lunch' to 2026-12-02 12:00Z-13:00Z" in accepted.stdout
        assert alex.meeting(meeting.id).start == NEXT_DAY

        again = cli(endpoint, "AlexW@contoso.com", "accept-proposal", proposal.id)
        assert "has moved to" in clean_failure(again)
        assert "No open proposals." in cli(endpoint, "AlexW@contoso.com", "proposals").stdout


def test_decline_proposal_and_expected_failures(tmp_path):
    with serving("--store", ":memory:") as (endpoint, _):
        alex = EwsClient(endpoint, user="AlexW@contoso.com", password=PASSWORDS["AlexW@contoso.com"])
        alex.create_meeting("Lunch", LUNCH, LUNCH + HOUR, required=["AdeleV@contoso.com"])
        adele = EwsClient(endpoint, user="AdeleV@contoso.com", password=PASSWORDS["AdeleV@contoso.com"])
        adele.propose_new_time(adele.meeting_requests()[0], NEXT_DAY, NEXT_DAY + HOUR)
        (proposal,) = alex.proposals()

        declined = cli(endpoint, "AlexW@contoso.com", "decline-proposal", proposal.id,
                       "--comment", "Tomorrow is full.")
        assert declined.returncode == 0, declined.stderr
        assert "the meeting stays at 2026-12-01 12:00Z-13:00Z" in declined.stdout
        assert alex.meeting(proposal.meeting.ref.id).start == LUNCH

        unknown = cli(endpoint, "AlexW@contoso.com", "accept-proposal", "AUVQnotanid")
        assert clean_failure(unknown).startswith("ews-propose accept-proposal: ")

        wrong = cli(endpoint, None, "proposals", "--user", "AlexW@contoso.com", "--password", "nope")
        assert "refused the credentials (HTTP 401)" in clean_failure(wrong)

    gone = cli(endpoint, "AlexW@contoso.com", "proposals")  # the server has stopped
    assert "cannot reach" in clean_failure(gone)
    no_endpoint = cli(None, "AlexW@contoso.com", "proposals")
    assert "no endpoint: pass --endpoint or set EWS_ENDPOINT" in clean_failure(no_endpoint, 2)
