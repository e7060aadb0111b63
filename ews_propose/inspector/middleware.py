"""The inspector in front of the WSGI application: records EWS and Graph calls, serves pages."""

from __future__ import annotations

import io
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from ..graph.app import PREFIX as GRAPH_PREFIX
from ..soap.app import EWS_PATH, REALM, EwsApplication, Streamed, call_operation
from ..soap.context import MAILBOX_ENV_KEY
from . import pages
from .wirelog import WireLog

log = logging.getLogger(__name__)

PREFIX = "/inspector"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Inspector:
    """``open_access``: no credentials asked (a loopback address); otherwise any
    mailbox's EWS credentials (Basic or bearer) open it."""

    def __init__(self, ews: EwsApplication, open_access: bool) -> None:
        self.ews = ews
        self.open_access = open_access
        self.log = WireLog()
        self.pages = pages.Pages(ews, self.log)

    def middleware(self, app: Callable) -> Callable:
        def inspected(environ: dict, start_response: Callable) -> Iterable[bytes]:
            path = environ.get("PATH_INFO") or "/"
            if path == PREFIX or path.startswith(PREFIX + "/"):
                return self._serve(environ, start_response, path[len(PREFIX):] or "/")
            if path.lower() == EWS_PATH and environ.get("REQUEST_METHOD", "").upper() == "POST":
                return self._record(app, environ, start_response)
            if path.lower() == GRAPH_PREFIX or path.lower().startswith(GRAPH_PREFIX + "/"):
                return self._record(app, environ, start_response, graph=True)
            return app(environ, start_response)

        return inspected

    def _record(self, app: Callable, environ: dict, start_response: Callable,
                graph: bool = False) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = self.ews.max_request_bytes
        if not (0 < length <= limit or (graph and length == 0 and "HTTP_TRANSFER_ENCODING" not in environ)):
            return app(environ, start_response)  # the application answers these itself (413, empty)
        request = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(request)
        if graph:  # Graph signs in with a bearer token; read it before the call consumes it
            header = environ.get("HTTP_AUTHORIZATION", "")
            scheme, _, token = header.partition(" ")
            who = self.ews.directory.authenticate_token(token.strip()) if scheme.lower() == "bearer" else None
            query = environ.get("QUERY_STRING") or ""
            operation = f"{environ.get('REQUEST_METHOD', 'GET').upper()} {environ.get('PATH_INFO')}" + (
                f"?{unquote(query)}" if query else "")
        seen: dict[str, Any] = {}

        def recording(status, headers, exc_info=None):
            seen["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        began, when = time.perf_counter(), datetime.now(UTC)

        def log_call(response: bytes) -> None:
            status = int(str(seen.get("status", "500")).split()[0])
            if status != 401:  # a refused login is not a mailbox's call
                if graph:
                    self.log.add(when, operation, who.smtp if who else None, status, request, response,
                                 (time.perf_counter() - began) * 1000)
                else:
                    self.log.add(when, call_operation(environ, request), environ.get(MAILBOX_ENV_KEY), status, request,
                                 response, (time.perf_counter() - began) * 1000)

        answer = app(environ, recording)
        if getattr(answer, "streamed", False):  # GetStreamingEvents: pass each part on
            return Streamed(_streamed(answer, log_call))
        response = b"".join(answer)
        log_call(response)
        return [response]

    def _serve(self, environ: dict, start_response: Callable, sub: str) -> Iterable[bytes]:
        if not self.open_access and self.ews.authenticate(environ) is None:
            return _reply(start_response, "401 Unauthorized", b"401 Unauthorized\n", "text/plain; charset=utf-8",
                          [("WWW-Authenticate", f'Basic realm="{REALM}"')])
        if environ.get("REQUEST_METHOD", "GET").upper() not in ("GET", "HEAD"):
            return _reply(start_response, "405 Method Not Allowed", b"The inspector only reads.\n",
                          "text/plain; charset=utf-8", [("Allow", "GET")])
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING") or "").items()}
        try:
            found = self.pages.route(sub, query)
        except Exception:  # a defect in a page must not look like the emulator failing
            log.exception("unhandled error in the inspector")
            return _reply(start_response, "500 Internal Server Error", b"The inspector failed; see the log.\n",
                          "text/plain; charset=utf-8")
        if found is None:
            return _reply(start_response, "404 Not Found", pages.not_found(sub), "text/html; charset=utf-8")
        body, content_type = found
        return _reply(start_response, "200 OK", body, content_type,
                      [("Cache-Control", "no-store")], head=environ.get("REQUEST_METHOD") == "HEAD")


def _reply(start_response, status, body: bytes, content_type: str, extra=(), head: bool = False):
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra])
    return [] if head else [body]


def _streamed(answer: Iterable[bytes], log_call: Callable[[bytes], None]) -> Iterator[bytes]:
    parts: list[bytes] = []
    try:
        for part in answer:
            parts.append(part)
            yield part
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
        log_call(b"".join(parts))
