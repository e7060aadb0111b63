"""A time budget for each request, so that no request holds the server (or the store's
write lock) for longer than ``Limits.max_request_seconds``.

The surfaces open a budget around each request (:func:`request_budget`); the store
checks it where work grows with the data (every row written, every few hundred rows
read, and inside long SQLite statements), and so does the query code. Past the
deadline the work stops with ``RuleError(TIMEOUT)``: the transaction it was in rolls
back, so nothing half-done is kept, and the client is told the request timed out
(EWS ``ErrorTimeoutExpired``; Graph 504).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from . import errors as E

# (deadline on the monotonic clock, the budget in seconds) of the request this thread serves.
_current: ContextVar[tuple[float, float] | None] = ContextVar("ews_propose_request_budget", default=None)


@contextmanager
def request_budget(seconds: float | None) -> Iterator[None]:
    """Run the enclosed work under a budget of ``seconds`` (None or 0: no budget)."""
    token = _current.set((time.monotonic() + seconds, seconds) if seconds else None)
    try:
        yield
    finally:
        _current.reset(token)


def expired() -> bool:
    current = _current.get()
    return current is not None and time.monotonic() > current[0]


def timeout_error() -> E.RuleError:
    current = _current.get()
    seconds = current[1] if current is not None else 0
    return E.RuleError(E.TIMEOUT, f"The request took longer than this server's limit of {seconds:g} seconds "
                                  "and was stopped; nothing it was changing was saved.")


def check() -> None:
    """Raise the timeout error when this request's budget is spent."""
    current = _current.get()
    if current is not None and time.monotonic() > current[0]:
        raise timeout_error()


@contextmanager
def suspended() -> Iterator[None]:
    """No budget inside (the store's COMMIT and ROLLBACK must never be cut short)."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
