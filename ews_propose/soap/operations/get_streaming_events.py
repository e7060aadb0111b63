"""GetStreamingEvents: the events of streaming subscriptions, over one HTTP connection
held open for ConnectionTimeout minutes.

The answer is chunked: a whole SOAP envelope per part, as Exchange writes it. The first
part comes at once; each later one carries the notifications that happened since (one
``m:Notification`` per subscription with events) or, when nothing happened for
``KEEPALIVE_SECONDS``, only ``ConnectionStatus`` OK; the last one says ``Closed``. A
client that closes the connection ends the stream at the next part written. An unknown
or expired subscription (or one that is not a streaming one) is
``ErrorInvalidSubscription`` with the ids in ``ErrorSubscriptionIds``, in an answer of
its own.

Between parts the stream waits on the store's change signal for the subscriptions'
mailbox (:meth:`ews_propose.store.base.Store.watch`): a commit that touched it, made by
this process or (PostgreSQL, or SQLite on one file) another, wakes the stream, which
then looks for events at once. Without a wake-up it still looks every
``EWS_PROPOSE_STREAM_POLL`` seconds (default ``FALLBACK_SECONDS``), so an event is never
lost with a signal; and every ``POLL_SECONDS`` while the store has no reliable signal
(a store without one, a PostgreSQL LISTEN connection that is reconnecting), or when
``EWS_PROPOSE_STREAM_SIGNAL=off`` turns the signal off (the behaviour before it).

This operation does not go through spyne (which answers with one whole document):
``ews_propose.soap.app`` hands the request to :func:`serve`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

from lxml import etree

from ...rules.errors import RuleError
from ...store.base import Watch
from ..context import EwsRequest, Responses
from ..errors import EwsFault, schema_fault
from ..protocol import EwsHeader, EwsSoap11
from ..xml import M, SchemaViolation, T, int_value, reading_in, sub
from .notifications import write_events

log = logging.getLogger("ews_propose.soap")

OPERATION = "GetStreamingEvents"
POLL_SECONDS = 0.25  # the look without a reliable signal; also how often a gone client is noticed
FALLBACK_SECONDS = 5.0  # the look with one, in case a wake-up went missing
POLL_ENV = "EWS_PROPOSE_STREAM_POLL"
SIGNAL_ENV = "EWS_PROPOSE_STREAM_SIGNAL"
KEEPALIVE_SECONDS = 5.0
MAX_SUBSCRIPTIONS = 10  # Exchange: up to 10 subscription ids on one connection
_XML = {"Content-Type": "text/xml; charset=utf-8"}


class _Context:
    """What :class:`EwsRequest` reads of a spyne method context."""

    def __init__(self, state, header: EwsHeader, environ) -> None:
        self.app = type("App", (), {"ews": state})
        self.in_header = header
        self.transport = type("Transport", (), {"req_env": environ})


def serve(state, protocol: EwsSoap11, environ, start_response, body: bytes):
    """The WSGI answer to one GetStreamingEvents request (its caller is authenticated)."""
    header = None
    try:
        header, request = protocol.read_request(body)
        req = EwsRequest(_Context(state, header, environ))
        with reading_in(req.zone):
            ids, minutes = _read(request)
        bad = [i for i in ids if not req.notifications.held(req.actor, i, "streaming")]
    except SchemaViolation as exc:
        return _fault(protocol, start_response, schema_fault(exc.message, exc.line, exc.column), header)
    except EwsFault as exc:
        return _fault(protocol, start_response, exc, header)
    if bad:
        return _whole(start_response, protocol.envelope(_invalid(bad), header))
    start_response("200 OK", list(_XML.items()))  # no Content-Length: the server chunks it
    return _Stream(req, protocol, header, ids, minutes, environ)


def _read(request) -> tuple[list[str], int]:
    ids_el = request.find(M + "SubscriptionIds")
    ids = [(el.text or "").strip() for el in ids_el if el.tag == T + "SubscriptionId"] if ids_el is not None else []
    if not ids or any(not i for i in ids):
        raise SchemaViolation("GetStreamingEvents needs SubscriptionIds with one or more SubscriptionId.", request)
    if len(ids) > MAX_SUBSCRIPTIONS:
        raise EwsFault("ErrorInvalidArgument", f"A streaming connection takes at most {MAX_SUBSCRIPTIONS} "
                       "subscriptions.")
    timeout_el = request.find(M + "ConnectionTimeout")
    if timeout_el is None:
        raise SchemaViolation("GetStreamingEvents needs a ConnectionTimeout.", request)
    minutes = int_value(timeout_el.text, "element 'ConnectionTimeout'", timeout_el, low=1, high=30)
    return ids, minutes


def _message() -> tuple[etree._Element, etree._Element]:
    out = Responses(OPERATION)
    msg = out.success()
    return out.root, msg


def _invalid(ids: list[str]) -> etree._Element:
    out = Responses(OPERATION)
    msg = out.error("ErrorInvalidSubscription", "Subscription is invalid.")
    holder = sub(msg, M + "ErrorSubscriptionIds")
    for sub_id in ids:
        sub(holder, M + "SubscriptionId", sub_id)
    return out.root


class _Stream:
    """The chunked answer: an iterator WSGI servers drain part by part. ``close()``
    (called by the server when the client went away) ends it."""

    streamed = True  # for the observer and the inspector: pass the parts on as they come

    def __init__(self, req: EwsRequest, protocol: EwsSoap11, header: EwsHeader, ids: list[str], minutes: int,
                 environ) -> None:
        self.req, self.protocol, self.header, self.ids = req, protocol, header, ids
        self.deadline = time.monotonic() + minutes * 60
        self.gone = environ.get("waitress.client_disconnected")
        self.closed = False
        self._parts = self._run()

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self.closed:
            raise StopIteration
        return next(self._parts)

    def close(self) -> None:
        self.closed = True
        self._parts.close()

    def _run(self) -> Iterator[bytes]:
        # Woken at once by a commit, a stream that outlived its client would take the events
        # of the client's next stream and write them to nobody: only a server that says when
        # a client went away (waitress) gets the signal; elsewhere (the HTTPS server) the
        # stream looks every POLL_SECONDS, as without it.
        can_tell_gone = self.gone is not None
        watch = self.req.rules.store.watch([self.req.actor]) if signal_on() and can_tell_gone else Watch()
        try:
            yield from self._parts_while(watch, fallback_seconds())
        finally:
            watch.close()

    def _parts_while(self, watch: Watch, fallback: float) -> Iterator[bytes]:
        req = self.req
        last = float("-inf")  # the last part written
        looked = float("-inf")  # the last look at the store
        changed = True
        while not self.closed:
            now = time.monotonic()
            if now >= self.deadline:
                root, msg = _message()
                sub(msg, M + "ConnectionStatus", "Closed")
                yield self.protocol.envelope(root, self.header)
                return
            interval = fallback if watch.reliable else POLL_SECONDS
            notes, lost = [], []
            if self.gone is not None and self.gone():
                return  # never take events for a client that is gone
            if changed or now - looked >= interval:
                looked = now
                for sub_id in self.ids:
                    try:
                        events, mark = req.notifications.take(req.actor, sub_id)
                    except RuleError:  # unsubscribed or expired meanwhile
                        lost.append(sub_id)
                        continue
                    if events:
                        notes.append((sub_id, events, mark))
            if lost:
                yield self.protocol.envelope(_invalid(lost), self.header)
                return
            if notes or now - last >= KEEPALIVE_SECONDS:
                root, msg = _message()
                if notes:
                    holder = sub(msg, M + "Notifications")
                    stamp = req.rules.now()
                    for sub_id, events, mark in notes:
                        note = sub(holder, M + "Notification")
                        sub(note, T + "SubscriptionId", sub_id)
                        write_events(note, events, mark, req.actor, stamp)
                sub(msg, M + "ConnectionStatus", "OK")
                yield self.protocol.envelope(root, self.header)
                last = now
            if self.gone is not None and self.gone():
                return
            # Woken by a commit, or at the next look, keep-alive or deadline; at least every
            # POLL_SECONDS to see a client that went away.
            now = time.monotonic()
            changed = watch.wait(min(POLL_SECONDS, looked + interval - now, last + KEEPALIVE_SECONDS - now,
                                     self.deadline - now))


def fallback_seconds() -> float:
    """``EWS_PROPOSE_STREAM_POLL`` as a number of seconds (at least POLL_SECONDS), else the default."""
    text = os.environ.get(POLL_ENV, "").strip()
    if not text:
        return FALLBACK_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not POLL_SECONDS <= value <= 3600:  # also NaN
        log.warning("%s=%r is not a number of seconds from %s to 3600; using %s", POLL_ENV, text, POLL_SECONDS,
                    FALLBACK_SECONDS)
        return FALLBACK_SECONDS
    return value


def signal_on() -> bool:
    return os.environ.get(SIGNAL_ENV, "on").strip().lower() not in ("off", "0", "no", "false")


def _whole(start_response, body: bytes, status: str = "200 OK"):
    start_response(status, [*_XML.items(), ("Content-Length", str(len(body)))])
    return [body]


def _fault(protocol: EwsSoap11, start_response, fault: EwsFault, header):
    return _whole(start_response, protocol.fault_envelope(fault),  # faults carry no SOAP header
                  protocol.fault_to_http_response_code(fault))


__all__ = ["serve", "OPERATION"]
