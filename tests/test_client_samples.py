"""samples/lunch_with_client.py and samples/review_proposals.py run against the emulator."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .test_client import HOUR, LUNCH, NEXT_DAY, client, invite

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SAMPLES / script), *args], capture_output=True,
                          text=True, timeout=120)


def test_lunch_with_client_plays_the_scenario(emulator):
    done = run("lunch_with_client.py", "--endpoint", emulator.endpoint, "--date", "2026-12-01")
    assert done.returncode == 0, done.stderr
    assert "3. Adele tentatively accepts and proposes 2026-12-02 13:00 Paris time" in done.stdout
    assert re.search(r"Rainier@contoso\.com +Resource +free", done.stdout)
    assert "5. Alex moved the meeting to 2026-12-02T12:00:00Z" in done.stdout
    assert "6. Adele received the updated meeting request" in done.stdout
    ops = {ex.operation for ex in emulator.exchanges}
    assert {"CreateItem", "FindItem", "GetItem", "GetUserAvailability", "UpdateItem"} <= ops

    wrong = run("lunch_with_client.py", "--endpoint", emulator.endpoint.replace("/EWS/", "/nowhere/"))
    assert wrong.returncode == 1 and wrong.stderr.startswith("lunch scenario failed: ")
    assert "Traceback" not in wrong.stderr


def test_review_accepts_only_where_everyone_is_free(emulator):
    alex = client(emulator, "AlexW@contoso.com")
    adele = client(emulator, "AdeleV@contoso.com")
    megan = client(emulator, "MeganB@contoso.com")
    free_meeting = invite(alex, subject="Lunch", rooms=["Rainier@contoso.com"])
    busy_meeting = invite(alex, subject="Planning", start=LUNCH + 3 * HOUR, rooms=["Rainier@contoso.com"])
    megan.create_meeting("Board review", NEXT_DAY + 3 * HOUR, NEXT_DAY + 4 * HOUR,
                         resources=["Rainier@contoso.com"])
    for request in adele.meeting_requests():
        adele.propose_new_time(request, request.start + 24 * HOUR, request.end + 24 * HOUR)

    done = run("review_proposals.py", "--endpoint", emulator.endpoint)
    assert done.returncode == 0, done.stderr
    assert "'Planning' from AdeleV@contoso.com" in done.stdout
    assert "Rainier@contoso.com busy (Board review 15:00-16:00)" in done.stdout
    assert "2 open proposals, 1 with everyone free, 1 accepted" in done.stdout
    assert alex.meeting(free_meeting.id).start == NEXT_DAY
    assert alex.meeting(busy_meeting.id).start == LUNCH + 3 * HOUR


def test_lunch_with_client_runs_again_on_the_same_store(emulator):
    """Without --date the sample picks a lunch hour everyone still has free, so it can be
    run again and again against the persistent default store."""
    days = []
    for _ in range(3):
        done = run("lunch_with_client.py", "--endpoint", emulator.endpoint)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "6. Adele received the updated meeting request" in done.stdout
        days.append(re.search(r"moved the meeting to (\S+)", done.stdout).group(1))
    assert len(set(days)) == 3
