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


DEFAULT_LIMITS = Limits()
