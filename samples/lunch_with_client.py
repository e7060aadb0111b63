#!/usr/bin/env python3
"""The lunch scenario with the client library: Alex invites Adele (and the room),
Adele proposes the next day, Alex reviews the proposal with everyone's availability
and accepts it, and Adele receives the update.

    python samples/lunch_with_client.py --endpoint http://127.0.0.1:8765/EWS/Exchange.asmx

Uses the demo mailboxes (`ews-propose serve` without --directory). Exits 1 with one
line on the first step that does not go as the workflow expects.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ews_propose.client import EwsClient, EwsClientError

ALEX = ("AlexW@contoso.com", "alex-demo-pw")
ADELE = ("AdeleV@contoso.com", "adele-demo-pw")
ROOM = "Rainier@contoso.com"


class ScenarioFailed(Exception):
    pass


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise ScenarioFailed(what)


def play(endpoint: str, lunch: datetime, out: Callable[[str], None] = print) -> dict[str, str]:
    alex = EwsClient(endpoint, user=ALEX[0], password=ALEX[1])
    adele = EwsClient(endpoint, user=ADELE[0], password=ADELE[1])
    hour = timedelta(hours=1)

    meeting = alex.create_meeting("Lunch", lunch, lunch + hour, required=[ADELE[0]], resources=[ROOM],
                                  location="Cafe", allow_new_time_proposal=True)
    out(f"1. Alex invited Adele and {ROOM} to lunch at {lunch:%Y-%m-%d %H:%M %Z}")

    request = next((r for r in adele.meeting_requests() if r.calendar_item and r.start == lunch
                    and r.subject == "Lunch"), None)
    expect(request is not None, "Adele has no meeting request for the lunch")
    expect(adele.can_propose(request),
           f"the server (build {adele.server_build}) does not let Adele propose a new time")
    out(f"2. Adele sees the request; the server (build {adele.server_build}) offers ProposeNewTime")

    # Adele thinks in Paris time: 13:00 there the next day.
    paris = ZoneInfo("Europe/Paris")
    tomorrow = (lunch + timedelta(days=1)).astimezone(paris)
    answer = adele.propose_new_time(request, tomorrow, tomorrow + hour, response="tentative",
                                    comment="Tomorrow works better for me.")
    out(f"3. Adele tentatively accepts and proposes {tomorrow:%Y-%m-%d %H:%M} Paris time "
        f"(server gave back {len(answer.ids)} ids)")

    proposal = next((p for p in alex.proposals(open_only=True)
                     if p.meeting and p.meeting.ref.id == meeting.id), None)
    expect(proposal is not None, "Alex has no open proposal for the lunch")
    out(f"4. Alex reads the proposal from {proposal.attendee}: "
        f"{proposal.proposed_start:%Y-%m-%d %H:%M} UTC, \"{proposal.comment}\"")

    report = alex.availability(proposal)
    for row in report.attendees:
        out(f"   {row.attendee.person.email:<22} {row.attendee.kind:<9} {row.status}")
    expect(report.everyone_free, "not everyone is free at the proposed time")

    alex.accept_proposal(proposal)
    moved = alex.meeting(meeting.id)
    expect(moved.start == proposal.proposed_start, "the meeting did not move")
    out(f"5. Alex moved the meeting to {moved.start.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} "
        "and sent the update to everyone")

    update = next((r for r in adele.meeting_requests() if r.calendar_item == answer.calendar_item
                   or r.start == moved.start), None)
    expect(update is not None and update.meeting_request_type == "FullUpdate",
           "Adele did not receive the updated request")
    out("6. Adele received the updated meeting request")
    return {"meeting": meeting.id, "proposal": proposal.id,
            "moved_to": f"{moved.start.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"}


def free_lunch(endpoint: str) -> datetime:
    """The first lunch hour from a week ahead that is free, with the hour a day later,
    for Alex, Adele and the room: the sample can run again and again on one store."""
    alex = EwsClient(endpoint, user=ALEX[0], password=ALEX[1])
    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=7)
    busy = alex.busy_times([ALEX[0], ADELE[0], ROOM], start, start + timedelta(days=40))
    taken = {e.start.date() for events in busy.values() for e in events}
    for offset in range(39):
        lunch = start + timedelta(days=offset)
        if lunch.date() not in taken and (lunch + timedelta(days=1)).date() not in taken:
            return lunch
    raise ScenarioFailed("no free lunch hour in the next 40 days: start the server on a fresh store")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:8765/EWS/Exchange.asmx")
    parser.add_argument("--date", default=None,
                        help="lunch day, YYYY-MM-DD (default: a week from today); lunch is at 12:00 UTC")
    args = parser.parse_args(argv)
    try:
        if args.date:
            day = datetime.fromisoformat(args.date).date()
            lunch = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        else:
            lunch = free_lunch(args.endpoint)
        play(args.endpoint, lunch)
    except (ScenarioFailed, EwsClientError) as exc:
        print(f"lunch scenario failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
