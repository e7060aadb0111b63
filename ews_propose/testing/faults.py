"""Fault injection: a WSGI middleware in front of the emulator that makes the next N
calls (of one operation, or of any) answer ErrorServerBusy, HTTP 503, or late.

It is passed to ``EmulatorServer(wrap=...)``, so the emulator itself stays unaware; the
ErrorServerBusy body is built by the emulator's own protocol (``fault_envelope``), so it
has exactly the shape of every other fault the emulator answers.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..soap.app import EWS_PATH, EwsApplication, operation_of
from ..soap.errors import EwsFault

SERVER_BUSY = "server_busy"
HTTP_503 = "http_503"
DELAY = "delay"


@dataclass
class FaultRule:
    """One armed fault: what to answer, for which operation (None: any), how many more times."""

    kind: str
    remaining: int
    operation: str | None = None
    back_off_ms: int = 0
    retry_after: int | None = None
    seconds: float = 0.0
    fired: int = 0

    def matches(self, operation: str | None) -> bool:
        return self.remaining > 0 and (self.operation is None or self.operation == operation)


@dataclass
class InjectedCall:
    """A call the injector answered itself (the emulator never saw it)."""

    operation: str | None
    mailbox: str | None
    request: bytes
    status: int
    response: bytes
    kind: str


class FaultInjector:
    """WSGI middleware around an :class:`EwsApplication`.

    Only authenticated (Basic or Bearer) SOAP POSTs to ``/EWS/Exchange.asmx`` consume a rule: a request with
    bad credentials still gets the emulator's 401, as a throttled Exchange server would
    authenticate before throttling.
    """

    def __init__(self, app: EwsApplication, on_injected: Callable[[InjectedCall], None] | None = None) -> None:
        self.app = app
        self.on_injected = on_injected
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    # --- arming ------------------------------------------------------------------------

    def server_busy(self, times: int = 1, operation: str | None = None, back_off_ms: int = 500) -> FaultRule:
        """The next ``times`` calls answer an ErrorServerBusy SOAP fault (HTTP 500) whose
        MessageXml carries ``BackOffMilliseconds``."""
        return self._arm(FaultRule(SERVER_BUSY, times, operation, back_off_ms=back_off_ms))

    def http_503(self, times: int = 1, operation: str | None = None, retry_after: int | None = None) -> FaultRule:
        """The next ``times`` calls answer HTTP 503 Service Unavailable (with ``Retry-After``
        seconds when given), as a load balancer in front of Exchange does."""
        return self._arm(FaultRule(HTTP_503, times, operation, retry_after=retry_after))

    def delay(self, seconds: float, times: int = 1, operation: str | None = None) -> FaultRule:
        """The next ``times`` calls are answered normally, ``seconds`` late."""
        return self._arm(FaultRule(DELAY, times, operation, seconds=seconds))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def pending(self) -> list[FaultRule]:
        """Rules that have not fired their last time yet."""
        with self._lock:
            return [r for r in self._rules if r.remaining > 0]

    def _arm(self, rule: FaultRule) -> FaultRule:
        if rule.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._rules.append(rule)
        return rule

    def _take(self, operation: str | None) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(operation):
                    rule.remaining -= 1
                    rule.fired += 1
                    return rule
        return None

    # --- WSGI --------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        is_soap = ((environ.get("PATH_INFO") or "").lower() == EWS_PATH
                   and environ.get("REQUEST_METHOD", "").upper() == "POST")
        if not is_soap or not self.pending:
            return self.app(environ, start_response)
        mailbox = self._mailbox(environ)
        if mailbox is None:
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.app.max_request_bytes:
            return self.app(environ, start_response)
        request = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(request)
        operation = operation_of(request)
        rule = self._take(operation)
        if rule is None:
            return self.app(environ, start_response)
        if rule.kind == DELAY:
            time.sleep(rule.seconds)
            return self.app(environ, start_response)
        if rule.kind == SERVER_BUSY:
            status, headers, body = self._server_busy(rule, request)
        else:
            status, headers, body = self._unavailable(rule)
        start_response(status, headers)
        if self.on_injected is not None:
            self.on_injected(InjectedCall(operation, mailbox, request, int(status.split()[0]), body,
                                          rule.kind))
        return [body]

    def _mailbox(self, environ: dict) -> str | None:
        """The caller's mailbox when the request carries valid credentials (Basic or Bearer)."""
        mailbox = self.app.authenticate(environ)
        return mailbox.smtp if mailbox else None

    def _server_busy(self, rule: FaultRule, request: bytes) -> tuple[str, list, bytes]:
        fault = EwsFault(
            "ErrorServerBusy",
            "The server cannot service this request right now. Try again later.",
            back_off_ms=rule.back_off_ms,
        )
        # Like every other emulator answer: ServerVersionInfo echoing the requested schema.
        protocol = self.app.protocol
        body = protocol.fault_envelope(fault, protocol.header_of(request))
        return (protocol.fault_to_http_response_code(fault),
                [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))], body)

    @staticmethod
    def _unavailable(rule: FaultRule) -> tuple[str, list, bytes]:
        body = b"Service Unavailable\n"
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
        if rule.retry_after is not None:
            headers.append(("Retry-After", str(rule.retry_after)))
        return "503 Service Unavailable", headers, body
