"""Push notifications: the server calls the client back.

For each push subscription a background thread posts Exchange's ``SendNotification``
SOAP request to the subscription's URL: at once when events happened (checked every
``POLL_SECONDS``), and a StatusEvent when nothing happened for StatusFrequency minutes.
The client answers with a ``SendNotificationResult`` whose SubscriptionStatus is OK (go
on) or Unsubscribe (the subscription ends: that is how push subscriptions end). A
delivery that fails (no answer, not HTTP 200, not that answer) is tried again after 30
seconds, then 60, 120, ...; the events wait for it. When deliveries have failed for
longer than StatusFrequency minutes the subscription is dropped, as Exchange drops it.

Subscriptions made before a restart are not called back (the list of push
subscriptions to serve is kept in memory; the subscriptions themselves are in the
store, so they still refuse Unsubscribe).
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass, field

from lxml import etree

from ..rules.errors import RuleError
from ..rules.notifications import Event, NotificationRules
from .xml import MESSAGES_NS, RESPONSE_NSMAP, SOAP_NS, M, S, T, sub

log = logging.getLogger("ews_propose.push")

POLL_SECONDS = 1.0
FIRST_RETRY_SECONDS = 30.0
TIMEOUT_SECONDS = 10.0


@dataclass
class _Push:
    actor: str
    sub_id: str
    url: str
    frequency: float  # seconds
    watermark: str
    last_sent: float = field(default_factory=time.monotonic)
    pending: list[Event] = field(default_factory=list)
    failing_since: float | None = None
    next_try: float = 0.0
    backoff: float = FIRST_RETRY_SECONDS


class PushSender:
    """Calls back the push subscriptions of one server (one NotificationRules)."""

    def __init__(self, notifications: NotificationRules, server_version: str) -> None:
        self.notifications = notifications
        self.server_version = server_version
        self._subs: dict[str, _Push] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, actor: str, sub_id: str, url: str, frequency_minutes: int, watermark: str) -> None:
        with self._lock:
            self._subs[sub_id] = _Push(actor, sub_id, url, frequency_minutes * 60.0, watermark)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ews-propose-push", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                subs = list(self._subs.values())
            if not subs:
                with self._lock:
                    if not self._subs:
                        self._thread = None
                        return
            for push in subs:
                try:
                    self._serve(push)
                except Exception:  # one subscription's trouble must not stop the others
                    log.exception("push subscription %s failed", push.sub_id)
                    self._drop(push)
            time.sleep(POLL_SECONDS)

    def _serve(self, push: _Push) -> None:
        now = time.monotonic()
        try:
            events, mark = self.notifications.take(push.actor, push.sub_id)
        except RuleError:  # gone from the store
            self._drop(push)
            return
        push.pending += events
        if now < push.next_try:
            return
        if not push.pending and now - push.last_sent < push.frequency:
            return
        previous = push.watermark
        status = self._deliver(push, previous, mark)
        if status is None:
            push.failing_since = push.failing_since or now
            if now - push.failing_since > push.frequency:
                log.info("push subscription %s dropped: %s does not answer", push.sub_id, push.url)
                self.notifications.end(push.actor, push.sub_id)
                self._drop(push)
                return
            push.next_try = now + push.backoff
            push.backoff *= 2
            return
        push.pending, push.watermark, push.last_sent = [], mark, now
        push.failing_since, push.next_try, push.backoff = None, 0.0, FIRST_RETRY_SECONDS
        if status == "Unsubscribe":
            self.notifications.end(push.actor, push.sub_id)
            self._drop(push)

    def _deliver(self, push: _Push, previous: str, mark: str) -> str | None:
        """The client's SubscriptionStatus, or None when the delivery failed."""
        from .operations.notifications import write_events

        envelope = etree.Element(S + "Envelope", nsmap={"s": SOAP_NS})
        head = sub(envelope, S + "Header")
        sub(head, T + "RequestServerVersion", Version=self.server_version)
        request = etree.SubElement(sub(envelope, S + "Body"), M + "SendNotification", nsmap=RESPONSE_NSMAP)
        msg = sub(sub(request, M + "ResponseMessages"), M + "SendNotificationResponseMessage",
                  ResponseClass="Success")
        sub(msg, M + "ResponseCode", "NoError")
        note = sub(msg, M + "Notification")
        sub(note, T + "SubscriptionId", push.sub_id)
        sub(note, T + "PreviousWatermark", previous)
        sub(note, T + "MoreEvents", "false")
        write_events(note, push.pending or [Event("StatusEvent")], mark, push.actor, self.notifications.now())
        data = etree.tostring(envelope, encoding="utf-8", xml_declaration=True)
        req = urllib.request.Request(push.url, data=data, method="POST",
                                     headers={"Content-Type": "text/xml; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (http/https only)
                if answer.status != 200:
                    return None
                body = answer.read(1 << 20)
        except (urllib.error.URLError, OSError, ValueError):
            return None
        try:
            root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            return None
        status = root.findtext(f".//{{{MESSAGES_NS}}}SubscriptionStatus")
        return status if status in ("OK", "Unsubscribe") else None

    def _drop(self, push: _Push) -> None:
        with self._lock:
            self._subs.pop(push.sub_id, None)


_SENDERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SENDERS_LOCK = threading.Lock()


def sender_for(notifications: NotificationRules, server_version: str) -> PushSender:
    with _SENDERS_LOCK:
        sender = _SENDERS.get(notifications)
        if sender is None:
            sender = _SENDERS[notifications] = PushSender(notifications, server_version)
        return sender


__all__ = ["PushSender", "sender_for"]
