"""The inspector's log of the calls that crossed the wire, newest last, bounded."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

MAX_CALLS = 500
MAX_BODY = 64 * 1024  # bytes kept of each body; the rest is marked cut


@dataclass(frozen=True)
class WireCall:
    seq: int
    time: datetime
    operation: str | None
    mailbox: str | None
    status: int
    request: bytes
    response: bytes
    millis: float
    truncated: bool = False


class WireLog:
    def __init__(self, size: int = MAX_CALLS) -> None:
        self._calls: deque[WireCall] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, time: datetime, operation: str | None, mailbox: str | None, status: int,
            request: bytes, response: bytes, millis: float) -> None:
        truncated = len(request) > MAX_BODY or len(response) > MAX_BODY
        with self._lock:
            self._seq += 1
            self._calls.append(WireCall(self._seq, time, operation, mailbox, status,
                                        request[:MAX_BODY], response[:MAX_BODY], millis, truncated))

    def calls(self) -> list[WireCall]:
        with self._lock:
            return list(self._calls)

    def get(self, seq: int) -> WireCall | None:
        return next((c for c in self.calls() if c.seq == seq), None)

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq
