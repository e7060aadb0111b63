"""The Graph side of the harness: a WSGI middleware in front of the Graph application
that logs every call and can make the next N calls answer 429 (throttled, with
``Retry-After``) or answer late, as Microsoft Graph does under load.

Calls with a missing or wrong token are passed through untouched (they get the
emulator's 401 and use up no fault), as Graph authenticates before it throttles.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from ..graph.app import GraphApplication

THROTTLED = "throttled"
DELAY = "delay"


@dataclass(frozen=True)
class GraphCall:
    """One Graph call as it crossed the wire. ``injected`` names the fault answered in
    the emulator's place (``"throttled"``), None when the emulator answered."""

    method: str
    path: str
    mailbox: str | None
    status: int
    injected: str | None = None


@dataclass
class _Rule:
    kind: str
    remaining: int
    path: str | None
    retry_after: int = 1
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and (self.path is None or self.path.lower() in path.lower())


class GraphFaults:
    """WSGI middleware around a :class:`GraphApplication`: ``.throttle()``, ``.delay()``,
    and ``.calls`` (every call, in order)."""

    def __init__(self, app: GraphApplication) -> None:
        self.app = app
        self._rules: list[_Rule] = []
        self._calls: list[GraphCall] = []
        self._lock = threading.Lock()

    # --- arming ------------------------------------------------------------------------

    def throttle(self, times: int = 1, retry_after: int = 1, path: str | None = None) -> None:
        """The next ``times`` calls (whose path contains ``path``, if given) get HTTP 429
        ``TooManyRequests`` with ``Retry-After: retry_after``."""
        with self._lock:
            self._rules.append(_Rule(THROTTLED, times, path, retry_after=retry_after))

    def delay(self, seconds: float, times: int = 1, path: str | None = None) -> None:
        """The next ``times`` calls are answered ``seconds`` late."""
        with self._lock:
            self._rules.append(_Rule(DELAY, times, path, seconds=seconds))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._calls.clear()

    @property
    def calls(self) -> list[GraphCall]:
        with self._lock:
            return list(self._calls)

    def __iter__(self) -> Iterator[GraphCall]:
        return iter(self.calls)

    # --- WSGI --------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO") or "/"
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        mailbox = self.app.directory.authenticate_token(token.strip()) if (
            scheme.lower() == "bearer" and token.strip()) else None
        rule = self._take(method, path) if mailbox is not None else None
        if rule is not None and rule.kind == DELAY:
            time.sleep(rule.seconds)
            rule = None
        if rule is not None:
            self._record(GraphCall(method, path, mailbox.smtp if mailbox else None, 429, THROTTLED))
            return _throttled(start_response, rule.retry_after)
        seen: dict[str, str] = {}

        def recording(status, headers, exc_info=None):
            seen["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = b"".join(self.app(environ, recording))
        self._record(GraphCall(method, path, mailbox.smtp if mailbox else None,
                               int(seen.get("status", "500").split()[0])))
        return [body]

    def _take(self, method: str, path: str) -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.remaining -= 1
                    return rule
        return None

    def _record(self, call: GraphCall) -> None:
        with self._lock:
            self._calls.append(call)


def _throttled(start_response: Callable, retry_after: int):
    rid = str(uuid.uuid4())
    body = json.dumps({"error": {"code": "TooManyRequests",
                                 "message": "Application is over its MailboxConcurrency limit.",
                                 "innerError": {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                                                "request-id": rid, "client-request-id": rid}}}).encode()
    start_response("429 Too Many Requests", [("Content-Type", "application/json"),
                                             ("Content-Length", str(len(body))),
                                             ("Retry-After", str(retry_after)), ("request-id", rid)])
    return [body]
