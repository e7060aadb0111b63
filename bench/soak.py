"""Soak test: M concurrent clients run the meeting workflow for T seconds against an
emulator this script starts itself (loopback, a fresh store file), then check that no
reply was lost.

    .venv/bin/python bench/soak.py --clients 8 --seconds 60

Each client loops over a mix of operations as random mailboxes: create a meeting
with invitations (20%), answer a pending request: accept, tentatively accept with a
proposed new time, or decline (40%), move one of its meetings (10%), read its inbox
and an item (30%). Printed at the end: requests, errors (HTTP other than 200, 5xx,
connection failures, or an unexpected ResponseCode), expected conflicts (a stale
ChangeKey, a request made out of date by a move), p50/p99/max latency, and the
invariant check:

- every reply that got NoError has its MeetingResponse in the organizer's Inbox,
  associated with the organizer's item (and no reply arrived twice);
- the organizer's attendee entry agrees with the attendee's last acknowledged reply,
  unless a move of that meeting may have committed after it (a move resets entries).

Exit status 0 when there were no errors and the invariant holds.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import requests
from lxml import etree

NS = {"s": "http://schemas.xmlsoap.org/soap/envelope/",
      "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
      "t": "http://schemas.microsoft.com/exchange/services/2006/types",
      "e": "http://schemas.microsoft.com/exchange/services/2006/errors"}
EXPECTED_CONFLICTS = {"ErrorIrresolvableConflict", "ErrorCalendarMeetingRequestIsOutOfDate"}
REPLY_TYPE = {"AcceptItem": "Accept", "TentativelyAcceptItem": "Tentative", "DeclineItem": "Decline"}
ENDPOINT_LINE = re.compile(r"(http://127\.0\.0\.1:\d+/EWS/Exchange\.asmx)")


def envelope(body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{NS["s"]}" xmlns:t="{NS["t"]}" '
            f'xmlns:m="{NS["m"]}"><s:Header><t:RequestServerVersion Version="Exchange2013"/></s:Header>'
            f"<s:Body>{body}</s:Body></s:Envelope>").encode()


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    errors: Counter = field(default_factory=Counter)
    conflicts: Counter = field(default_factory=Counter)
    operations: Counter = field(default_factory=Counter)


@dataclass
class Meeting:
    organizer: str
    item_id: str
    uid: str
    moves: list[tuple[float, float]] = field(default_factory=list)  # (sent, answered) of each attempt


@dataclass
class ReplyRecord:
    attendee: str
    uid: str
    kind: str
    proposal: tuple[str, str] | None
    sent: float
    answered: float
    acknowledged: bool


class Client:
    def __init__(self, endpoint: str, passwords: dict[str, str], stats: Stats) -> None:
        self.endpoint = endpoint
        self.passwords = passwords
        self.stats = stats
        self.http = requests.Session()

    def call(self, user: str, body: str) -> etree._Element | None:
        """The answer's root, or None after counting an error."""
        start = time.perf_counter()
        try:
            r = self.http.post(self.endpoint, data=envelope(body), auth=(user, self.passwords[user]),
                               headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=60)
        except requests.RequestException as exc:
            self._count(time.perf_counter() - start, f"connection: {type(exc).__name__}")
            return None
        elapsed = time.perf_counter() - start
        if r.status_code != 200:
            fault = re.search(rb"<e:ResponseCode[^>]*>([^<]+)", r.content)
            self._count(elapsed, f"HTTP {r.status_code} {fault.group(1).decode() if fault else ''}".strip())
            return None
        self._count(elapsed, None)
        return etree.fromstring(r.content)

    def _count(self, elapsed: float, error: str | None) -> None:
        with self.stats.lock:
            self.stats.requests += 1
            self.stats.latencies.append(elapsed)
            if error:
                self.stats.errors[error] += 1

    def codes(self, root: etree._Element) -> list[str]:
        return [el.text for el in root.iterfind(".//m:ResponseCode", NS)]

    def check_codes(self, root: etree._Element | None, allowed: set[str] = frozenset()) -> str | None:
        """The single ResponseCode; an unexpected one counts as an error."""
        if root is None:
            return None
        codes = self.codes(root)
        code = codes[0] if len(codes) == 1 else f"{len(codes)} codes"
        if code == "NoError" or code in allowed:
            if code in EXPECTED_CONFLICTS:
                with self.stats.lock:
                    self.stats.conflicts[code] += 1
            return code
        with self.stats.lock:
            self.stats.errors[f"ResponseCode {code}"] += 1
        return None

    def find_ids(self, user: str, folder: str, element: str) -> list[str]:
        root = self.call(user, f'<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
                               f'</m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="100000" Offset="0" '
                               f'BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId '
                               f'Id="{folder}"/></m:ParentFolderIds></m:FindItem>')
        if self.check_codes(root) is None:
            return []
        return [el.get("Id") for el in root.iterfind(f".//t:Items/t:{element}/t:ItemId", NS)]

    def get_items(self, user: str, item_ids: list[str]) -> list[etree._Element]:
        out = []
        for i in range(0, len(item_ids), 200):
            chunk = "".join(f'<t:ItemId Id="{x}"/>' for x in item_ids[i:i + 200])
            root = self.call(user, f"<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape>"
                                   f"</m:ItemShape><m:ItemIds>{chunk}</m:ItemIds></m:GetItem>")
            if root is not None:
                out += [el for el in root.iterfind(".//m:Items/*", NS)]
        return out


class Soak:
    def __init__(self, endpoint: str, users: list[str], passwords: dict[str, str], seed: int) -> None:
        self.endpoint = endpoint
        self.users = users
        self.passwords = passwords
        self.stats = Stats()
        self.meetings: dict[str, Meeting] = {}  # by uid
        self.replies: list[ReplyRecord] = []
        self.lock = threading.Lock()
        self.seed = seed

    def run(self, clients: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=self._client, args=(i, deadline)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _client(self, index: int, deadline: float) -> None:
        rng = random.Random(self.seed * 1000 + index)
        client = Client(self.endpoint, self.passwords, self.stats)
        day = 0
        while time.monotonic() < deadline:
            op = rng.choices(["create", "answer", "move", "read"], [20, 40, 10, 30])[0]
            user = rng.choice(self.users)
            with self.stats.lock:
                self.stats.operations[op] += 1
            if op == "create":
                day += 1
                self._create(client, rng, user, day)
            elif op == "answer":
                self._answer(client, rng, user)
            elif op == "move":
                self._move(client, rng, user)
            else:
                self._read(client, rng, user)

    def _create(self, client: Client, rng: random.Random, organizer: str, day: int) -> None:
        others = rng.sample([u for u in self.users if u != organizer], k=min(4, len(self.users) - 1))
        attendees = "".join(f"<t:Attendee><t:Mailbox><t:EmailAddress>{a}</t:EmailAddress></t:Mailbox></t:Attendee>"
                            for a in others)
        start = f"2027-{1 + day % 12:02d}-{1 + day % 28:02d}T{8 + rng.randrange(8):02d}:00:00Z"
        end = start.replace(":00:00Z", ":30:00Z")
        root = client.call(organizer, f'<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:Items>'
                                      f"<t:CalendarItem><t:Subject>Soak {day}</t:Subject><t:Start>{start}</t:Start>"
                                      f"<t:End>{end}</t:End><t:RequiredAttendees>{attendees}</t:RequiredAttendees>"
                                      "</t:CalendarItem></m:Items></m:CreateItem>")
        if client.check_codes(root) != "NoError":
            return
        item_id = root.find(".//t:CalendarItem/t:ItemId", NS).get("Id")
        (item,) = client.get_items(organizer, [item_id]) or [None]
        if item is not None:
            with self.lock:
                self.meetings[item.findtext("t:UID", namespaces=NS)] = Meeting(organizer, item_id,
                                                                               item.findtext("t:UID", namespaces=NS))

    def _answer(self, client: Client, rng: random.Random, attendee: str) -> None:
        pending = client.find_ids(attendee, "inbox", "MeetingRequest")
        if not pending:
            return
        items = client.get_items(attendee, [rng.choice(pending)])
        if not items:
            return
        uid = items[0].findtext("t:UID", namespaces=NS)
        kind = rng.choice(list(REPLY_TYPE))
        proposal = None
        if kind != "AcceptItem" and rng.random() < 0.7:
            hour = rng.randrange(8, 17)
            proposal = (f"2027-06-15T{hour:02d}:00:00Z", f"2027-06-15T{hour:02d}:30:00Z")
        extra = (f"<t:ProposedStart>{proposal[0]}</t:ProposedStart><t:ProposedEnd>{proposal[1]}</t:ProposedEnd>"
                 if proposal else "")
        sent = time.monotonic()
        root = client.call(attendee, f'<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:{kind}>'
                                     f'<t:ReferenceItemId Id="{items[0].find("t:ItemId", NS).get("Id")}"/>{extra}'
                                     f"</t:{kind}></m:Items></m:CreateItem>")
        code = client.check_codes(root, {"ErrorCalendarMeetingRequestIsOutOfDate", "ErrorItemNotFound"})
        with self.lock:
            self.replies.append(ReplyRecord(attendee.lower(), uid, kind, proposal, sent, time.monotonic(),
                                            code == "NoError"))

    def _move(self, client: Client, rng: random.Random, organizer: str) -> None:
        with self.lock:
            mine = [m for m in self.meetings.values() if m.organizer == organizer]
        if not mine:
            return
        meeting = rng.choice(mine)
        items = client.get_items(organizer, [meeting.item_id])
        if not items:
            return
        change_key = items[0].find("t:ItemId", NS).get("ChangeKey")
        hour = rng.randrange(8, 17)
        start, end = f"2027-07-{rng.randrange(1, 29):02d}T{hour:02d}:00:00Z", f"2027-07-01T{hour:02d}:45:00Z"
        end = start[:11] + end[11:]
        sent = time.monotonic()
        root = client.call(organizer, '<m:UpdateItem ConflictResolution="AutoResolve" '
                                      'SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges>'
                                      f'<t:ItemChange><t:ItemId Id="{meeting.item_id}" ChangeKey="{change_key}"/>'
                                      '<t:Updates><t:SetItemField><t:FieldURI FieldURI="calendar:Start"/>'
                                      f"<t:CalendarItem><t:Start>{start}</t:Start></t:CalendarItem></t:SetItemField>"
                                      '<t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem>'
                                      f"<t:End>{end}</t:End></t:CalendarItem></t:SetItemField></t:Updates>"
                                      "</t:ItemChange></m:ItemChanges></m:UpdateItem>")
        client.check_codes(root, {"ErrorIrresolvableConflict"})
        with self.lock:  # any attempt may have committed, answered or not
            meeting.moves.append((sent, time.monotonic()))

    def _read(self, client: Client, rng: random.Random, user: str) -> None:
        ids = client.find_ids(user, rng.choice(["inbox", "calendar", "sentitems"]), "*")
        if ids:
            client.get_items(user, [rng.choice(ids)])

    # --- the invariant -------------------------------------------------------------

    def check(self) -> list[str]:
        client = Client(self.endpoint, self.passwords, Stats())
        problems: list[str] = []
        by_item = {m.item_id: m for m in self.meetings.values()}
        responses: dict[tuple[str, str], list[tuple[str, tuple | None]]] = defaultdict(list)
        entries: dict[tuple[str, str], tuple[str, tuple | None]] = {}
        for organizer in self.users:
            for el in client.get_items(organizer, client.find_ids(organizer, "inbox", "MeetingResponse")):
                meeting = by_item.get(el.find("t:AssociatedCalendarItemId", NS).get("Id"))
                if meeting is None:
                    continue
                sender = el.findtext("t:From/t:Mailbox/t:EmailAddress", namespaces=NS).lower()
                start = el.findtext("t:ProposedStart", namespaces=NS)
                responses[(meeting.uid, sender)].append(
                    (el.findtext("t:ResponseType", namespaces=NS),
                     (start, el.findtext("t:ProposedEnd", namespaces=NS)) if start else None))
        for meeting in self.meetings.values():
            (item,) = client.get_items(meeting.organizer, [meeting.item_id]) or [None]
            if item is None:
                problems.append(f"organizer's item {meeting.item_id} unreadable")
                continue
            for att in item.iterfind(".//t:Attendee", NS):
                start = att.findtext("t:ProposedStart", namespaces=NS)
                entries[(meeting.uid, att.findtext("t:Mailbox/t:EmailAddress", namespaces=NS).lower())] = (
                    att.findtext("t:ResponseType", namespaces=NS),
                    (start, att.findtext("t:ProposedEnd", namespaces=NS)) if start else None)
        attempts: dict[tuple[str, str], list[ReplyRecord]] = defaultdict(list)
        for r in self.replies:
            if r.uid in self.meetings:
                attempts[(r.uid, r.attendee)].append(r)
        checked_entries = 0
        for key, tried in attempts.items():
            acked = [r for r in tried if r.acknowledged]
            unanswered = [r for r in tried if not r.acknowledged]
            found = responses.get(key, [])
            if not len(acked) <= len(found) <= len(acked) + len(unanswered):
                problems.append(f"{key[1]} on {key[0][-8:]}: {len(acked)} acknowledged replies, "
                                f"{len(found)} MeetingResponses")
            for r in acked:
                if (REPLY_TYPE[r.kind], r.proposal) not in found:
                    problems.append(f"{key[1]} on {key[0][-8:]}: acknowledged {r.kind} {r.proposal} has no "
                                    "MeetingResponse")
            if not acked:
                continue
            last = max(acked, key=lambda r: r.answered)
            overlapping = [r for r in tried if r is not last and r.answered > last.sent]
            moved_after = [m for m in self.meetings[key[0]].moves if m[1] > last.sent]
            if overlapping or moved_after:
                continue  # the order of commits is not known from the client side
            checked_entries += 1
            if entries.get(key) != (REPLY_TYPE[last.kind], last.proposal):
                problems.append(f"{key[1]} on {key[0][-8:]}: entry {entries.get(key)} but last reply "
                                f"{last.kind} {last.proposal}")
        self.checked = (len(attempts), sum(len(v) for v in responses.values()), checked_entries)
        return problems


def start_server(store: str, directory: str, threads: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "ews_propose", "serve", "--port", "0", "--store", store,
                             "--directory", directory, "--threads", str(threads)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 20
    for line in proc.stdout:
        m = ENDPOINT_LINE.search(line)
        if m:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
            return proc, m.group(1)
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("the emulator did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=30, help="how long to run (default 30)")
    parser.add_argument("--mailboxes", type=int, default=20, help="mailboxes in the directory (default 20)")
    parser.add_argument("--threads", type=int, default=4, help="the emulator's request threads (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    users = [f"user{i:02d}@soak.example" for i in range(args.mailboxes)]
    passwords = {u: f"pw-{i}-soak" for i, u in enumerate(users)}
    with tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "directory.toml")
        with open(directory, "w") as fh:
            fh.write("".join(f'[[mailbox]]\nsmtp = "{u}"\npassword = "{p}"\n\n' for u, p in passwords.items()))
        proc, endpoint = start_server(os.path.join(tmp, "store.sqlite3"), directory, args.threads)
        try:
            soak = Soak(endpoint, users, passwords, args.seed)
            began = time.monotonic()
            soak.run(args.clients, args.seconds)
            elapsed = time.monotonic() - began
            problems = soak.check()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    s = soak.stats
    print(f"clients {args.clients}, {elapsed:.1f} s, mailboxes {args.mailboxes}, server threads {args.threads}")
    print(f"operations  {dict(s.operations)}")
    print(f"requests    {s.requests} ({s.requests / elapsed:.0f}/s)")
    print(f"errors      {sum(s.errors.values())} {dict(s.errors) if s.errors else ''}")
    print(f"conflicts   {sum(s.conflicts.values())} {dict(s.conflicts) if s.conflicts else ''} (expected)")
    if s.latencies:
        ms = [x * 1000 for x in s.latencies]
        print(f"latency     p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
              f"max {max(ms):.1f} ms, mean {statistics.fmean(ms):.1f} ms")
    acked = sum(r.acknowledged for r in soak.replies)
    pairs, found, checked = soak.checked
    print(f"replies     {len(soak.replies)} sent, {acked} acknowledged (NoError), {found} MeetingResponses "
          f"delivered, {len(soak.meetings)} meetings")
    print(f"invariant   {'OK' if not problems else 'FAILED'}: every acknowledged reply delivered "
          f"({pairs} attendee/meeting pairs), {checked} organizer entries compared")
    for p in problems[:20]:
        print("  " + p)
    return 0 if not problems and not s.errors else 1


if __name__ == "__main__":
    sys.exit(main())
