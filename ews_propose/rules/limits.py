"""Hard bounds on what one request may cost, shared by every surface.

Each bound has a default close to Exchange's own and can be changed per server
(``ews-propose serve --max-ids-per-request N --max-recipients N``; ``ServerConfig.limits``).
What happens past each one is in docs/reliability.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    # Item ids one request may name (GetItem, DeleteItem, MoveItem, CopyItem, SendItem,
    # UpdateItem's changes, CreateItem's items). Past it: ErrorTooManyObjectsOpened for
    # the first, ErrorBatchProcessingStopped for the rest.
    max_ids_per_request: int = 1000
    # Distinct attendees of one meeting, or recipients of one message (Exchange's
    # MaxRecipientEnvelopeLimit defaults to 500). Past it: the item is refused.
    max_recipients: int = 500
    # Bytes of items one GetItem answer may carry (repeated ids count each time).
    # Past it: ErrorTooManyObjectsOpened, then ErrorBatchProcessingStopped.
    max_response_bytes: int = 16 * 1024 * 1024
    # Seconds one request may take (rules/budget.py), so that none holds the store's write
    # lock longer: below the 30 s other writers wait for it before SQLite gives up. Past
    # it: ErrorTimeoutExpired (Graph: 504), and what the request was changing is rolled back.
    max_request_seconds: float = 20.0


DEFAULT_LIMITS = Limits()
