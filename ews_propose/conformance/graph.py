"""The propose-new-time checks over Microsoft Graph, for the emulator or a real tenant:
seed 000's five steps and seed 003's rules, through the public REST wire only
(``requests``, bearer tokens; the session and cleanup are in ``graph_run.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .checks import PROJECT_DECISION, PUBLIC, Check
from .graph_run import GraphRun, GraphTarget
from .run import expect
from .runner import Report, Result, run_check

SEED_000 = "Graph docs, 'Propose new meeting times' (seed 000)"
SEED_003 = "Graph docs, event: tentativelyAccept (seed 003)"
ERRORS_DOC = "Graph docs, 'Microsoft Graph error responses'"

__all__ = ["GRAPH_CHECKS", "GraphTarget", "graph_by_id", "run_graph_suite"]


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
