#!/usr/bin/env python3
"""Organizer at scale: review and accept N generated proposals, with this project's
client and with exchangelib, on the same emulator in the same run.

    .venv/bin/python bench/organizer.py [--proposals 1000] [--batch-size 100]

Two organizers hold identical workloads (N meetings, each with two attendees and a
room; one attendee proposes to start an hour later; every tenth proposed slot has the
room booked by someone else). Each organizer does the same work: find the proposals,
read the meetings behind them, check availability of every attendee and room over
each proposed slot, and move the meetings where everyone is free, sending updates.

- ews-propose client: FindItem pages, batched GetItem, one GetUserAvailability per
  group of mailboxes and 42-day window, batched UpdateItem.
- exchangelib 5.6, used as its documentation shows, with its own batching where it
  has one: ``inbox.filter()`` (FindItem + chunked GetItem), ``account.fetch()``,
  ``protocol.get_free_busy_info()`` per proposal, ``account.bulk_update()``.

Round trips are the SOAP calls the emulator saw from each organizer (its observer).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ews_propose.client import EwsClient  # noqa: E402
from ews_propose.directory import ROOM, USER, Directory, Mailbox  # noqa: E402
from ews_propose.server import EmulatorServer, ServerConfig  # noqa: E402

NS = {"m": "http://schemas.microsoft.com/exchange/services/2006/messages",
      "t": "http://schemas.microsoft.com/exchange/services/2006/types"}
PASSWORD = "bench-pw"
FIRST_DAY = datetime(2027, 1, 4, tzinfo=UTC)
HOURS = (9, 11, 13, 15)  # meetings; proposals move each one hour later
HOUR = timedelta(hours=1)
BLOCK_EVERY = 10


@dataclass(frozen=True)
class Side:
    organizer: str
    attendees: tuple[str, str]
    room: str


CLIENT_SIDE = Side("org-client@bench.test", ("c1@bench.test", "c2@bench.test"), "room-c@bench.test")
EXCHANGELIB_SIDE = Side("org-exchangelib@bench.test", ("x1@bench.test", "x2@bench.test"), "room-x@bench.test")
BLOCKER = "blocker@bench.test"


def directory() -> Directory:
    boxes = [Mailbox(BLOCKER, "Blocker", PASSWORD, USER)]
    for side in (CLIENT_SIDE, EXCHANGELIB_SIDE):
        boxes.append(Mailbox(side.organizer, side.organizer.split("@")[0], PASSWORD, USER))
        boxes += [Mailbox(a, a.split("@")[0], PASSWORD, USER) for a in side.attendees]
        boxes.append(Mailbox(side.room, side.room.split("@")[0], PASSWORD, ROOM))
    return Directory(boxes)


# --- generating the workload with raw SOAP (not measured) ------------------------------


class Raw:
    def __init__(self, endpoint: str, user: str) -> None:
        self.endpoint, self.http = endpoint, requests.Session()
        self.http.auth = (user, PASSWORD)

    def call(self, body: str) -> etree._Element:
        envelope = (
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:t="{NS["t"]}" xmlns:m="{NS["m"]}"><s:Header>'
            '<t:RequestServerVersion Version="Exchange2013"/></s:Header>'
            f"<s:Body>{body}</s:Body></s:Envelope>")
        r = self.http.post(self.endpoint, data=envelope.encode(), timeout=300,
                           headers={"Content-Type": "text/xml; charset=utf-8"})
        root = etree.fromstring(r.content)
        bad = [c for c in root.xpath("//m:ResponseCode/text()", namespaces=NS) if c != "NoError"]
        if r.status_code != 200 or bad:
            raise RuntimeError(f"setup call failed: HTTP {r.status_code} {bad[:3]}")
        return root

    def create_meetings(self, meetings: list[tuple[str, datetime, list[str], list[str]]]) -> None:
        for chunk in range(0, len(meetings), 100):
            items = "".join(
                f"<t:CalendarItem><t:Subject>{subject}</t:Subject><t:Start>{_z(start)}</t:Start>"
                f"<t:End>{_z(start + HOUR)}</t:End>"
                + (f"<t:RequiredAttendees>{_attendees(required)}</t:RequiredAttendees>" if required else "")
                + f"<t:Resources>{_attendees(rooms)}</t:Resources>"
                "<t:AllowNewTimeProposal>true</t:AllowNewTimeProposal></t:CalendarItem>"
                for subject, start, required, rooms in meetings[chunk:chunk + 100])
            self.call(f'<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:Items>{items}'
                      "</m:Items></m:CreateItem>")

    def requests_in_inbox(self) -> list[tuple[str, str]]:
        """(id, start) of every meeting request in the Inbox."""
        out, offset = [], 0
        while True:
            root = self.call(
                '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
                '<t:AdditionalProperties><t:FieldURI FieldURI="calendar:Start"/></t:AdditionalProperties>'
                f'</m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="1000" Offset="{offset}" '
                'BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/>'
                "</m:ParentFolderIds></m:FindItem>")
            page = root.xpath("//t:Items/t:MeetingRequest", namespaces=NS)
            out += [(r.find("t:ItemId", NS).get("Id"), r.findtext("t:Start", namespaces=NS)) for r in page]
            folder = root.find(".//m:RootFolder", NS)
            if folder.get("IncludesLastItemInRange") == "true" or not page:
                return out
            offset += len(page)

    def propose_all(self, later: timedelta) -> None:
        found = self.requests_in_inbox()
        for chunk in range(0, len(found), 100):
            items = "".join(
                f'<t:TentativelyAcceptItem><t:Body BodyType="Text">Could we start an hour later?</t:Body>'
                f'<t:ReferenceItemId Id="{item_id}"/>'
                f"<t:ProposedStart>{_z(_parse(start) + later)}</t:ProposedStart>"
                f"<t:ProposedEnd>{_z(_parse(start) + later + HOUR)}</t:ProposedEnd></t:TentativelyAcceptItem>"
                for item_id, start in found[chunk:chunk + 100])
            self.call(f'<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>{items}</m:Items></m:CreateItem>')


def _attendees(addresses: list[str]) -> str:
    return "".join(f"<t:Attendee><t:Mailbox><t:EmailAddress>{a}</t:EmailAddress></t:Mailbox></t:Attendee>"
                   for a in addresses)


def _z(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def slots(n: int) -> list[datetime]:
    return [FIRST_DAY + timedelta(days=i // len(HOURS), hours=HOURS[i % len(HOURS)]) for i in range(n)]


def generate(endpoint: str, side: Side, n: int) -> int:
    """N meetings and N proposals for one organizer; returns how many proposals hit a booked room."""
    starts = slots(n)
    Raw(endpoint, side.organizer).create_meetings(
        [(f"Meeting {i}", s, list(side.attendees), [side.room]) for i, s in enumerate(starts)])
    blocked = [s + HOUR for i, s in enumerate(starts) if i % BLOCK_EVERY == BLOCK_EVERY - 1]
    Raw(endpoint, BLOCKER).create_meetings([("Room booked", s, [], [side.room]) for s in blocked])
    Raw(endpoint, side.attendees[0]).propose_all(HOUR)
    return len(blocked)


# --- the two organizers -------------------------------------------------------------


def run_client(endpoint: str, batch_size: int) -> dict:
    client = EwsClient(endpoint, user=CLIENT_SIDE.organizer, password=PASSWORD, batch_size=batch_size)
    proposals = client.proposals(open_only=True)
    reports = client.availabilities(proposals)
    free = [r.proposal for r in reports if r.everyone_free]
    results = client.accept_proposals(free)
    return {"proposals": len(proposals), "free": len(free), "accepted": sum(r.ok for r in results)}


def run_exchangelib(endpoint: str) -> dict:
    from exchangelib import BASIC, DELEGATE, Account, Configuration, Credentials, Version
    from exchangelib.items import MeetingResponse
    from exchangelib.properties import ItemId
    from exchangelib.version import Build as ElBuild

    config = Configuration(service_endpoint=endpoint, auth_type=BASIC,
                           credentials=Credentials(EXCHANGELIB_SIDE.organizer, PASSWORD),
                           version=Version(build=ElBuild(15, 2, 1544, 4), api_version="Exchange2016"))
    account = Account(EXCHANGELIB_SIDE.organizer, config=config, autodiscover=False, access_type=DELEGATE)
    responses = account.inbox.filter(item_class__startswith="IPM.Schedule.Meeting.Resp")
    proposals = [r for r in responses if isinstance(r, MeetingResponse) and r.proposed_start]
    meetings = dict(zip([p.associated_calendar_item_id.id for p in proposals],
                        account.fetch(ids=[ItemId(id=p.associated_calendar_item_id.id) for p in proposals]),
                        strict=True))
    # exchangelib's MeetingResponse has no Start: a proposal is open while the meeting
    # still records it on the attendee (the server clears it when the meeting moves).
    def still_open(p) -> bool:
        m = meetings[p.associated_calendar_item_id.id]
        everyone = (m.required_attendees or []) + (m.optional_attendees or [])
        return any(a.mailbox.email_address.lower() == p.sender.email_address.lower()
                   and a.proposed_start == p.proposed_start for a in everyone)

    open_ones = [p for p in proposals if still_open(p)]
    free = []
    for p in open_ones:
        meeting = meetings[p.associated_calendar_item_id.id]
        people = [(meeting.organizer.email_address, "Organizer")]
        people += [(a.mailbox.email_address, "Required") for a in meeting.required_attendees or []]
        people += [(a.mailbox.email_address, "Resource") for a in meeting.resources or []]
        views = account.protocol.get_free_busy_info(
            accounts=[(who, kind, False) for who, kind in people],
            start=p.proposed_start, end=p.proposed_end, requested_view="Detailed")
        busy = False
        for view in views:
            for event in getattr(view, "calendar_events", None) or []:
                itself = event.start == meeting.start and event.end == meeting.end
                if event.busy_type not in ("Free", "WorkingElsewhere") and not itself \
                        and event.start < p.proposed_end and event.end > p.proposed_start:
                    busy = True
        if not busy:
            free.append((p, meeting))
    for p, meeting in free:
        meeting.start, meeting.end = p.proposed_start, p.proposed_end
    results = account.bulk_update(items=[(m, ["start", "end"]) for _, m in free],
                                  send_meeting_invitations_or_cancellations="SendToAllAndSaveCopy",
                                  conflict_resolution="NeverOverwrite")
    accepted = sum(1 for r in results if not isinstance(r, Exception))
    return {"proposals": len(open_ones), "free": len(free), "accepted": accepted}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Organizer at scale: ews-propose client vs exchangelib.")
    parser.add_argument("--proposals", type=int, default=1000, help="proposals per organizer (default 1000)")
    parser.add_argument("--batch-size", type=int, default=100, help="client batch size (default 100)")
    args = parser.parse_args(argv)
    n = args.proposals

    calls: Counter[tuple[str | None, str | None]] = Counter()
    server = EmulatorServer(ServerConfig(port=0, store=":memory:"), directory(),
                            observer=lambda ex: calls.update([(ex.mailbox, ex.operation)])).start()
    try:
        t0 = time.perf_counter()
        blocked = generate(server.endpoint, CLIENT_SIDE, n)
        generate(server.endpoint, EXCHANGELIB_SIDE, n)
        print(f"setup: 2 x {n} meetings and proposals ({blocked} per organizer with the room booked) "
              f"in {time.perf_counter() - t0:.1f} s")

        rows = []
        for name, side, run in (("ews-propose client", CLIENT_SIDE, lambda: run_client(server.endpoint, args.batch_size)),
                                ("exchangelib 5.6", EXCHANGELIB_SIDE, lambda: run_exchangelib(server.endpoint))):
            before = Counter(calls)
            start = time.perf_counter()
            outcome = run()
            seconds = time.perf_counter() - start
            mine = {op: c - before[(who, op)] for (who, op), c in calls.items()
                    if who == side.organizer and c - before[(who, op)]}
            rows.append((name, outcome, sum(mine.values()), seconds, mine))
        expected = n - blocked
        print(f"\n{n} proposals per organizer; {expected} have everyone free\n")
        print(f"{'':20} {'proposals':>9} {'accepted':>8} {'round trips':>11} {'seconds':>8}  calls")
        for name, outcome, trips, seconds, ops in rows:
            detail = ", ".join(f"{op} {c}" for op, c in sorted(ops.items()))
            print(f"{name:20} {outcome['proposals']:>9} {outcome['accepted']:>8} {trips:>11} {seconds:>8.2f}  {detail}")
        (_, ours, our_trips, our_s, _), (_, theirs, their_trips, their_s, _) = rows
        print(f"\nexchangelib / client: {their_trips / our_trips:.1f}x the round trips, "
              f"{their_s / our_s:.2f}x the time")
        ok = ours["accepted"] == expected and theirs["accepted"] == expected
        if not ok:
            print("warning: an organizer did not accept exactly the free proposals", file=sys.stderr)
        return 0 if ok else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
