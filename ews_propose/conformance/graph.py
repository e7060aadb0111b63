"""The propose-new-time checks over Microsoft Graph, for the emulator or a real tenant:
seed 000's five steps and seed 003's rules, through the public REST wire only
(``requests``, bearer tokens). Every subject carries the run id; afterwards everything
carrying it is deleted from both mailboxes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests

from .checks import PROJECT_DECISION, PUBLIC, Check
from .run import CheckFailed, CleanupReport, SetupError, expect
from .runner import Report, Result, run_check

T = TypeVar("T")
SEED_000 = "Graph docs, 'Propose new meeting times' (seed 000)"
SEED_003 = "Graph docs, event: tentativelyAccept (seed 003)"
ERRORS_DOC = "Graph docs, 'Microsoft Graph error responses'"
_PAGES = 6  # how far back (x 50 messages) the run looks for its own messages


@dataclass
class GraphTarget:
    """Where to run and as whom; the tokens come from environment variables (the CLI)."""

    root: str  # https://graph.microsoft.com/v1.0, or http://127.0.0.1:PORT/v1.0
    organizer: str
    attendee: str
    organizer_token: str
    attendee_token: str
    verify: bool | str = True
    wait_seconds: float = 60.0


class GraphLine:
    """One mailbox's bearer-token session."""

    def __init__(self, root: str, token: str, verify: bool | str) -> None:
        self.root = root.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
        self.session.verify = verify

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        url = path if path.startswith("http") else self.root + path
        return self.session.request(method, url, json=body, params=params or None, timeout=60)

    def messages(self, run_id: str) -> list[dict[str, Any]]:
        """The run's messages in every folder, newest first."""
        out: list[dict[str, Any]] = []
        url: str | None = "/me/messages"
        params: dict[str, Any] = {"$top": 50}
        for _ in range(_PAGES):
            if url is None:
                break
            r = self.call("GET", url, **params)
            if r.status_code != 200:
                raise CheckFailed(f"GET /me/messages: HTTP {r.status_code} {r.text[:300]}")
            page = r.json()
            out += [m for m in page.get("value", []) if run_id in (m.get("subject") or "")]
            url, params = page.get("@odata.nextLink"), {}
        return out

    def events(self, run_id: str) -> list[dict[str, Any]]:
        r = self.call("GET", "/me/events", **{"$top": 200})
        if r.status_code != 200:
            raise CheckFailed(f"GET /me/events: HTTP {r.status_code} {r.text[:300]}")
        return [e for e in r.json().get("value", []) if run_id in (e.get("subject") or "")]

    def close(self) -> None:
        self.session.close()


@dataclass
class GraphRun:
    target: GraphTarget
    run_id: str = field(default_factory=lambda: "graphconf-" + secrets.token_hex(4))
    organizer: GraphLine = field(init=False)
    attendee: GraphLine = field(init=False)
    _slot: int = 0
    _base: datetime = field(init=False)
    _cache: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = self.target
        self.organizer = GraphLine(t.root, t.organizer_token, t.verify)
        self.attendee = GraphLine(t.root, t.attendee_token, t.verify)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self._base = today + timedelta(days=400 + secrets.randbelow(3000), hours=6)

    def probe(self) -> None:
        for line, who in ((self.organizer, self.target.organizer), (self.attendee, self.target.attendee)):
            try:
                r = line.call("GET", "/me")
            except OSError as exc:
                raise SetupError(f"cannot reach {self.target.root}: {exc}") from exc
            if r.status_code == 401:
                raise SetupError(f"{self.target.root} refused the token of {who} (HTTP 401)")
            if r.status_code != 200 or not r.headers.get("Content-Type", "").startswith("application/json"):
                raise SetupError(f"GET /me as {who}: HTTP {r.status_code} {r.text[:200]}")
            mail = (r.json().get("mail") or r.json().get("userPrincipalName") or "").lower()
            if mail and mail != who.lower():
                raise SetupError(f"the token given for {who} signs in as {mail}")

    # --- names, times, waits -------------------------------------------------------------

    def subject(self, label: str) -> str:
        return f"[{self.run_id}] {label}"

    def slot(self) -> tuple[datetime, datetime]:
        start = self._base + timedelta(hours=3 * self._slot)
        self._slot += 1
        return start, start + timedelta(hours=1)

    def eventually(self, probe: Callable[[], T | None], what: str) -> T:
        deadline = time.monotonic() + self.target.wait_seconds
        pause = 0.2
        while True:
            found = probe()
            if found:
                return found
            if time.monotonic() >= deadline:
                raise CheckFailed(f"{what}: not seen within {self.target.wait_seconds:g}s")
            time.sleep(pause)
            pause = min(pause * 2, 2.0)

    def shared(self, key: str, make: Callable[[], T]) -> T:
        if key not in self._cache:
            try:
                self._cache[key] = ("ok", make())
            except Exception as exc:  # noqa: BLE001 - replayed to every check that shares it
                self._cache[key] = ("error", exc)
        state, value = self._cache[key]
        if state == "error":
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]

    # --- steps ---------------------------------------------------------------------------

    def create_meeting(self, label: str, allow: bool = True) -> dict[str, Any]:
        start, end = self.slot()
        body = {
            "subject": self.subject(label),
            "body": {"contentType": "text", "content": "ews-propose conformance run"},
            "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "allowNewTimeProposals": allow,
            "attendees": [{"emailAddress": {"address": self.target.attendee}, "type": "required"}],
        }
        r = self.organizer.call("POST", "/me/events", body)
        expect(r.status_code == 201, f"POST /me/events: HTTP {r.status_code} {r.text[:300]} (expected 201)")
        event = r.json()
        event["_start"], event["_end"] = start, end
        return event

    def request_for(self, subject: str) -> dict[str, Any]:
        """The attendee's eventMessageRequest for ``subject``, with its event expanded."""
        def probe() -> dict[str, Any] | None:
            for m in self.attendee.messages(self.run_id):
                if m.get("subject") == subject and m.get("@odata.type") == "#microsoft.graph.eventMessageRequest":
                    r = self.attendee.call("GET", f"/me/messages/{m['id']}",
                                           **{"$expand": "microsoft.graph.eventMessage/event"})
                    if r.status_code == 200 and r.json().get("event"):
                        return r.json()
            return None
        return self.eventually(probe, f"an eventMessageRequest '{subject}' for {self.target.attendee}")

    def response_for(self, subject: str) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            return next((m for m in self.organizer.messages(self.run_id)
                         if m.get("@odata.type") == "#microsoft.graph.eventMessageResponse"
                         and m.get("subject", "").endswith(subject)), None)
        return self.eventually(probe, f"an eventMessageResponse to '{subject}' for {self.target.organizer}")

    def cleanup(self) -> CleanupReport:
        """Delete the run's events (the organizer's first) and messages in both mailboxes,
        twice: late deliveries land after the first pass, and a first delete may only move
        a message to Deleted Items."""
        report = CleanupReport()
        for attempt in range(3):
            for line, who in ((self.organizer, self.target.organizer), (self.attendee, self.target.attendee)):
                try:
                    found = [("events", e["id"]) for e in line.events(self.run_id)]
                    found += [("messages", m["id"]) for m in line.messages(self.run_id)]
                except Exception as exc:  # noqa: BLE001 - cleanup reports, never raises
                    report.problems.append(f"{who}: {exc}")
                    continue
                for kind, item_id in found:
                    r = line.call("DELETE", f"/me/{kind}/{item_id}")
                    if r.status_code in (200, 204):
                        report.deleted[who] = report.deleted.get(who, 0) + 1
                    elif r.status_code != 404:
                        report.problems.append(f"{who}: DELETE {kind}: HTTP {r.status_code}")
            if attempt < 2:
                time.sleep(min(1.0, self.target.wait_seconds / 10))
        for line, who in ((self.organizer, self.target.organizer), (self.attendee, self.target.attendee)):
            try:
                left = len(line.events(self.run_id)) + len(line.messages(self.run_id))
            except Exception as exc:  # noqa: BLE001
                report.problems.append(f"{who}: {exc}")
                continue
            if left:
                report.problems.append(f"{who}: {left} item(s) left")
        return report

    def close(self) -> None:
        self.organizer.close()
        self.attendee.close()


# --- the checks -------------------------------------------------------------------------

GRAPH_CHECKS: list[Check] = []


def graph_check(id: str, title: str, rule: str, source: str, basis: str = PUBLIC) -> Callable:
    """Register a check; ``source`` is the public page the rule comes from."""
    def register(fn: Callable[[GraphRun], str | None]) -> Callable:
        GRAPH_CHECKS.append(Check(id, title, f"{rule} ({source})", basis, fn))  # type: ignore[arg-type]
        return fn
    return register


def _proposal(run: GraphRun) -> dict[str, Any]:
    """Seed 000 steps 1-2 with a proposal of the same hour a day later."""
    def make() -> dict[str, Any]:
        event = run.create_meeting("proposal")
        request = run.request_for(event["subject"])
        start, end = event["_start"] + timedelta(days=1), event["_end"] + timedelta(days=1)
        slot = {"start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}}
        answer = run.attendee.call("POST", f"/me/events/{request['event']['id']}/tentativelyAccept",
                                   {"comment": "conformance: later?", "sendResponse": True, "proposedNewTime": slot})
        return {"event": event, "request": request, "answer": answer, "start": start, "end": end}
    return run.shared("proposal", make)


def _same_moment(value: dict[str, Any] | None, expected: datetime) -> bool:
    if not value or "dateTime" not in value:
        return False
    text = value["dateTime"].split(".")[0]
    zone = (value.get("timeZone") or "UTC").upper()
    return zone in ("UTC", "COORDINATED UNIVERSAL TIME") and datetime.fromisoformat(text).replace(
        tzinfo=UTC) == expected


@graph_check("graph-create-event", "POST /me/events answers 201 with the organizer's view",
             "201; responseStatus organizer; attendee status none; allowNewTimeProposals echoed", SEED_000)
def create_event(run: GraphRun) -> str:
    event = _proposal(run)["event"]
    expect(event.get("responseStatus", {}).get("response") == "organizer",
           f"responseStatus is {event.get('responseStatus')}")
    statuses = [a.get("status", {}).get("response") for a in event.get("attendees", [])]
    expect(statuses == ["none"], f"attendee statuses {statuses}, expected ['none']")
    expect(event.get("allowNewTimeProposals") is True, "allowNewTimeProposals not true")
    return f"event {event['id'][:16]}..."


@graph_check("graph-request-delivered", "The attendee gets an eventMessageRequest allowing proposals",
             "eventMessageRequest with allowNewTimeProposals true and an expandable event", SEED_000)
def request_delivered(run: GraphRun) -> str:
    request = _proposal(run)["request"]
    expect(request.get("allowNewTimeProposals") is True, "allowNewTimeProposals not true on the request")
    expect(request.get("meetingMessageType") == "meetingRequest",
           f"meetingMessageType {request.get('meetingMessageType')}")
    return "event expanded"


@graph_check("graph-tentative-202", "tentativelyAccept with proposedNewTime answers 202, no body",
             "202 Accepted, nothing in the body", SEED_003)
def tentative_202(run: GraphRun) -> str:
    answer = _proposal(run)["answer"]
    expect(answer.status_code == 202, f"HTTP {answer.status_code} {answer.text[:300]}")
    expect(not answer.content.strip(), f"a body came back: {answer.text[:200]}")
    return "202"


@graph_check("graph-organizer-response", "The organizer gets an eventMessageResponse with the proposal",
             "subject 'New Time Proposed: ', responseType tentativelyAccepted, proposedNewTime = the proposal",
             SEED_000)
def organizer_response(run: GraphRun) -> str:
    p = _proposal(run)
    reply = run.response_for(p["event"]["subject"])
    expect(reply.get("subject") == "New Time Proposed: " + p["event"]["subject"], f"subject {reply.get('subject')!r}")
    expect(reply.get("responseType") == "tentativelyAccepted", f"responseType {reply.get('responseType')}")
    proposed = reply.get("proposedNewTime") or {}
    expect(_same_moment(proposed.get("start"), p["start"]) and _same_moment(proposed.get("end"), p["end"]),
           f"proposedNewTime {proposed}")
    return "proposal carried"


@graph_check("graph-attendee-proposal", "The organizer's event shows the proposal on that attendee",
             "attendees[].proposedNewTime present, status tentativelyAccepted", SEED_000)
def attendee_proposal(run: GraphRun) -> str:
    p = _proposal(run)
    run.response_for(p["event"]["subject"])
    r = run.organizer.call("GET", f"/me/events/{p['event']['id']}")
    expect(r.status_code == 200, f"GET the event: HTTP {r.status_code}")
    [entry] = r.json().get("attendees") or [{}]
    expect(entry.get("status", {}).get("response") == "tentativelyAccepted", f"status {entry.get('status')}")
    expect(_same_moment((entry.get("proposedNewTime") or {}).get("start"), p["start"]),
           f"proposedNewTime {entry.get('proposedNewTime')}")
    return "on the attendee entry"


@graph_check("graph-move-resets", "Moving the meeting resets the attendee and sends the update",
             "PATCH start/end: 200; attendee notResponded; the attendee gets a new request", SEED_000)
def move_resets(run: GraphRun) -> str:
    p = _proposal(run)
    run.response_for(p["event"]["subject"])
    slot = {"start": {"dateTime": p["start"].strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": p["end"].strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}}
    r = run.organizer.call("PATCH", f"/me/events/{p['event']['id']}", slot)
    expect(r.status_code == 200, f"PATCH: HTTP {r.status_code} {r.text[:300]}")
    statuses = [a.get("status", {}).get("response") for a in r.json().get("attendees", [])]
    expect(statuses == ["notResponded"], f"attendee statuses {statuses}, expected ['notResponded']")

    def updated() -> bool:
        return any(m.get("@odata.type") == "#microsoft.graph.eventMessageRequest"
                   and _same_moment(m.get("startDateTime"), p["start"])
                   for m in run.attendee.messages(run.run_id))
    run.eventually(updated, "the updated request in the attendee's mailbox")
    return "reset and updated"


@graph_check("graph-no-proposal-without-permission", "A proposal is refused when the organizer disallows it",
             "HTTP 400 when proposedNewTime is given and allowNewTimeProposals is false", SEED_003)
def refused_when_disallowed(run: GraphRun) -> str:
    event = run.create_meeting("no proposals", allow=False)
    request = run.request_for(event["subject"])
    start, end = event["_start"] + timedelta(days=1), event["_end"] + timedelta(days=1)
    slot = {"start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}}
    r = run.attendee.call("POST", f"/me/events/{request['event']['id']}/tentativelyAccept",
                          {"sendResponse": True, "proposedNewTime": slot})
    expect(r.status_code == 400, f"HTTP {r.status_code} {r.text[:200]} (expected 400)")
    return "400"


@graph_check("graph-no-proposal-without-response", "A proposal is refused when no response is sent",
             "HTTP 400 when proposedNewTime is given and sendResponse is false", SEED_003)
def refused_without_response(run: GraphRun) -> str:
    event = run.create_meeting("silent proposal")
    request = run.request_for(event["subject"])
    start, end = event["_start"] + timedelta(days=1), event["_end"] + timedelta(days=1)
    slot = {"start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}}
    r = run.attendee.call("POST", f"/me/events/{request['event']['id']}/tentativelyAccept",
                          {"sendResponse": False, "proposedNewTime": slot})
    expect(r.status_code == 400, f"HTTP {r.status_code} {r.text[:200]} (expected 400)")
    return "400"


@graph_check("graph-plain-tentative", "A tentative answer without a proposal carries no proposedNewTime",
             "no proposedNewTime on the eventMessageResponse", SEED_000)
def plain_tentative(run: GraphRun) -> str:
    event = run.create_meeting("plain tentative")
    request = run.request_for(event["subject"])
    r = run.attendee.call("POST", f"/me/events/{request['event']['id']}/tentativelyAccept", {"comment": "maybe"})
    expect(r.status_code == 202, f"HTTP {r.status_code} {r.text[:200]}")
    reply = run.response_for(event["subject"])
    expect("proposedNewTime" not in reply or reply["proposedNewTime"] is None,
           f"proposedNewTime {reply.get('proposedNewTime')}")
    return "none"


@graph_check("graph-unknown-event-404", "An unknown event id is 404 ErrorItemNotFound in Graph's error form",
             "another mailbox's event id: 404 with {error: {code, message}}", ERRORS_DOC, basis=PROJECT_DECISION)
def unknown_event(run: GraphRun) -> str:
    event = _proposal(run)["event"]
    r = run.attendee.call("GET", f"/me/events/{event['id']}")  # the organizer's id, in the attendee's mailbox
    expect(r.status_code == 404, f"HTTP {r.status_code} (expected 404)")
    code = (r.json().get("error") or {}).get("code") if r.headers.get("Content-Type", "").startswith(
        "application/json") else None
    expect(code == "ErrorItemNotFound", f"error code {code}")
    return code or ""


def graph_by_id(ids: list[str]) -> list[Check]:
    known = {c.id: c for c in GRAPH_CHECKS}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [known[i] for i in ids]


def run_graph_suite(target: GraphTarget, checks: list[Check] | None = None,
                    on_result: Callable[[Result], None] | None = None) -> Report:
    run = GraphRun(target)
    started = time.monotonic()
    report = Report(target.root, run.run_id, None)
    probed = False
    try:
        run.probe()
        probed = True
        for check in checks if checks is not None else GRAPH_CHECKS:
            result = run_check(run, check)  # type: ignore[arg-type]
            report.results.append(result)
            if on_result is not None:
                on_result(result)
    finally:
        if probed:
            report.cleanup = run.cleanup()
        run.close()
        report.seconds = time.monotonic() - started
    return report
