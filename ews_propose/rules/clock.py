"""The emulator's notion of now: UTC, whole seconds.

Reads ``datetime.now`` at every call so that a frozen clock in tests (freezegun)
is what the emulator stamps on DateTimeReceived, LastResponseTime and the like.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
