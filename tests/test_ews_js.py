"""ews-javascript-api 0.15.3 (the JavaScript port of Microsoft's EWS Managed API,
unchanged) drives the organizer's side of the workflow against the emulator: invite with
Appointment.Save, read the proposal from a MeetingResponse, bind the meeting it names and
move it with Appointment.Update; over HTTP and over the emulator's HTTPS (its CA trusted
through NODE_EXTRA_CA_CERTS), and SOAP Autodiscover with an explicit URL.
tests/ews_js/managed_api.js runs one step per call. ``make test`` installs the package
(``npm ci`` in tests/ews_js)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .ews import PASSWORDS

JS = Path(__file__).parent / "ews_js"
ALEX, ADELE = "AlexW@contoso.com", "AdeleV@contoso.com"
LUNCH = datetime(2030, 5, 6, 12, tzinfo=UTC)


def managed_api(step: str, endpoint: str, user: str, ca_file: Path | None = None, **extra: str) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    assert (JS / "node_modules" / "ews-javascript-api").is_dir(), \
        "ews-javascript-api is not installed: `make test` runs npm ci in tests/ews_js"
    env = {k: v for k, v in os.environ.items() if k != "NODE_EXTRA_CA_CERTS"}
    env.update(STEP=step, EWS_URL=endpoint, EWS_USER=user, EWS_PASSWORD=PASSWORDS[user], **extra)
    if ca_file is not None:
        env["NODE_EXTRA_CA_CERTS"] = str(ca_file)
    run = subprocess.run([node, str(JS / "managed_api.js")], env=env, capture_output=True, text=True,
                         timeout=120, cwd=JS)
    return json.loads(run.stdout.strip().splitlines()[-1]) | {"exit": run.returncode}


def play(emulator) -> None:
    endpoint, ca_file = emulator.endpoint, emulator.ca_file
    invited = managed_api("invite", endpoint, ALEX, ca_file, SUBJECT="Lunch", START=LUNCH.isoformat(),
                          END=(LUNCH + timedelta(hours=1)).isoformat(), ATTENDEES=ADELE)
    assert invited["exit"] == 0, invited

    # Adele proposes the next day with this project's client (the Managed API port cannot
    # send ProposedStart/ProposedEnd: it only reads them).
    adele = emulator.client(ADELE)  # trusts the emulator's CA when it serves HTTPS
    (request,) = adele.meeting_requests()
    assert adele.can_propose(request)
    adele.propose_new_time(request, LUNCH + timedelta(days=1), LUNCH + timedelta(days=1, hours=1))

    reviewed = managed_api("review", endpoint, ALEX, ca_file)
    assert reviewed["exit"] == 0, reviewed
    assert reviewed["subject"] == "New Time Proposed: Lunch"
    assert reviewed["class"] == "IPM.Schedule.Meeting.Resp.Tent"
    assert (reviewed["proposed_start"], reviewed["proposed_end"]) == ("2030-05-07T12:00:00.000Z",
                                                                      "2030-05-07T13:00:00.000Z")
    assert reviewed["meeting_id"] == invited["id"]  # AssociatedCalendarItemId names Alex's meeting
    assert (reviewed["was"], reviewed["now"]) == ("2030-05-06T12:00:00.000Z", "2030-05-07T12:00:00.000Z")

    seen = managed_api("requests", endpoint, ADELE, ca_file)
    assert seen["exit"] == 0, seen
    assert seen["requests"] == [{"subject": "Lunch", "type": "FullUpdate", "start": "2030-05-07T12:00:00.000Z"}]


def test_the_managed_api_port_reviews_and_moves_a_proposal(ews_emulator):
    play(ews_emulator)


def test_over_https_with_the_local_ca_and_autodiscover(ews_emulator_tls):
    play(ews_emulator_tls)
    found = managed_api("autodiscover", ews_emulator_tls.endpoint, ALEX, ews_emulator_tls.ca_file,
                        AUTODISCOVER_URL=ews_emulator_tls.autodiscover_url)
    assert found == {"error_code": "NoError", "display_name": "Alex Wilber",
                     "ews_url": ews_emulator_tls.endpoint, "exit": 0}
    untrusted = managed_api("requests", ews_emulator_tls.endpoint, ADELE)  # no CA: refused
    assert untrusted["exit"] == 1 and "certificate" in untrusted["error"]


def test_the_managed_api_port_gets_working_hours_and_suggestions(ews_emulator):
    # Adele is busy 10:00-11:00 UTC on Monday; Alex asks for an hour with both of them.
    adele = ews_emulator.client(ADELE)
    adele.create_meeting("Dentist", datetime(2030, 5, 6, 10, tzinfo=UTC), datetime(2030, 5, 6, 11, tzinfo=UTC))
    found = managed_api("suggest", ews_emulator.endpoint, ALEX, ews_emulator.ca_file, ATTENDEES=f"{ALEX},{ADELE}",
                        START="2030-05-06T00:00:00Z", END="2030-05-07T00:00:00Z", DURATION="60")
    assert found["exit"] == 0, found
    assert found["hours"] == [{"days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
                               "start": 480, "end": 1020}] * 2
    monday = {t["at"]: t["quality"] for t in found["days"][0]["times"]}
    assert monday["2030-05-06T08:00:00.000Z"] == "Excellent"
    assert monday["2030-05-06T10:00:00.000Z"] == "Poor"  # one of the two is busy
    assert all(t["work"] and t["conflicts"] == 2 for t in found["days"][0]["times"])


def test_the_managed_api_port_cancels_and_the_attendee_removes(ews_emulator):
    invited = managed_api("invite", ews_emulator.endpoint, ALEX, SUBJECT="Lunch", START=LUNCH.isoformat(),
                          END=(LUNCH + timedelta(hours=1)).isoformat(), ATTENDEES=ADELE)
    assert invited["exit"] == 0, invited
    cancelled = managed_api("cancel", ews_emulator.endpoint, ALEX, MEETING_ID=invited["id"],
                            COMMENT="Sorry, no lunch this week.")
    assert cancelled == {"cancelled": "2030-05-06T12:00:00.000Z", "type": "Single", "exit": 0}
    removed = managed_api("remove", ews_emulator.endpoint, ADELE)
    assert removed["exit"] == 0, removed
    assert removed["subject"] == "Canceled: Lunch"
    assert "Sorry, no lunch this week." in removed["body"]
    assert removed["calendar"] == []  # the cancelled meeting left Adele's calendar
    again = managed_api("remove", ews_emulator.endpoint, ADELE)  # the notice went to Deleted Items
    assert again["exit"] == 1 and "no MeetingCancellation" in again["error"]


def test_the_managed_api_port_cancels_one_occurrence(ews_emulator):
    from exchangelib import (
        BASIC,
        DELEGATE,
        Account,
        Attendee,
        CalendarItem,
        Configuration,
        Credentials,
        EWSDateTime,
        EWSTimeZone,
        Mailbox,
    )
    from exchangelib.recurrence import DailyPattern, Recurrence

    config = Configuration(service_endpoint=ews_emulator.endpoint, credentials=Credentials(ALEX, PASSWORDS[ALEX]),
                           auth_type=BASIC)
    alex = Account(ALEX, config=config, autodiscover=False, access_type=DELEGATE)
    nine = EWSDateTime(2030, 6, 3, 9, tzinfo=EWSTimeZone("Europe/Berlin"))
    series = CalendarItem(
        account=alex, folder=alex.calendar, subject="Stand-up", start=nine, end=nine + timedelta(minutes=15),
        recurrence=Recurrence(pattern=DailyPattern(interval=1), start=nine.date(), number=3),
        required_attendees=[Attendee(mailbox=Mailbox(email_address=ADELE))])
    series.save(send_meeting_invitations="SendToAllAndSaveCopy")
    cancelled = managed_api("cancel", ews_emulator.endpoint, ALEX, MEETING_ID=series.id, INDEX="2",
                            COMMENT="No stand-up on Tuesday.")
    assert cancelled == {"cancelled": "2030-06-04T07:00:00.000Z", "type": "Occurrence", "exit": 0}
    removed = managed_api("remove", ews_emulator.endpoint, ADELE)
    assert removed["exit"] == 0, removed
    assert "No stand-up on Tuesday." in removed["body"]
    assert removed["calendar"] == ["Stand-up"]  # the series stays, without its second occurrence
    master = alex.calendar.get(id=series.id)
    assert [d.start for d in master.deleted_occurrences] == [nine + timedelta(days=1)]
