"""A Graph conformance run: the two mailboxes' bearer-token sessions, unique names and
times, the waits a real tenant needs, and cleanup of everything carrying the run id."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import requests

from .run import CheckFailed, CleanupReport, RunSteps, SetupError, expect, far_future_base

T = TypeVar("T")
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
class GraphRun(RunSteps):
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
        self._base = far_future_base()

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


