"""Free/busy: who is free, tentative or busy over a window, from their calendars.

Plain Python over calendar items; each surface shapes the answer (EWS
GetUserAvailability, later Graph getSchedule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import BUSY, FREE, OOF, TENTATIVE, Item

NO_DATA = "no_data"
WORKING_ELSEWHERE = "working_elsewhere"
# MergedFreeBusy digits; in an interval the highest wins.
_DIGIT = {FREE: 0, WORKING_ELSEWHERE: 0, TENTATIVE: 1, BUSY: 2, OOF: 3, NO_DATA: 4}


@dataclass(frozen=True)
class WorkingHours:
    """When a mailbox works. The directory has no per-mailbox hours yet: everyone works
    Monday to Friday, 08:00 to 17:00 UTC (a project decision)."""

    days: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday")
    start: str = "08:00:00"
    end: str = "17:00:00"
    zone: str = "UTC"


WORKING_HOURS = WorkingHours()


@dataclass(frozen=True)
class Event:
    """A calendar item as free/busy shows it."""

    start: datetime
    end: datetime
    busy_type: str
    item_id: str
    subject: str
    location: str
    is_meeting: bool
    is_private: bool
    reminder_is_set: bool


def events_of(items: list[Item]) -> list[Event]:
    """Calendar items overlapping a window, as events (cancelled ones are free time)."""
    return [
        Event(i.start, i.end, i.free_busy, i.id, i.subject, i.location, i.is_meeting,
              i.sensitivity in ("Private", "Confidential"), i.reminder_is_set)
        for i in items
        if i.start is not None and i.end is not None and not i.is_cancelled
    ]


def merged_free_busy(events: list[Event], start: datetime, end: datetime, interval: timedelta) -> str:
    """One digit per interval from ``start``: 0 free, 1 tentative, 2 busy, 3 OOF, 4 no data.

    Each event raises the slots it overlaps: time in events plus slots, not their product.
    """
    step = interval.total_seconds()
    slots = max(0, -(-int((end - start).total_seconds()) // int(step)))
    levels = [0] * slots
    for e in events:
        level = _DIGIT.get(e.busy_type, 2)
        if level == 0 or e.end <= start or e.start >= end:
            continue
        first = max(0, int((e.start - start).total_seconds() // step))
        last = min(slots, -(-int((e.end - start).total_seconds()) // int(step)))
        for i in range(first, last):
            if levels[i] < level:
                levels[i] = level
    return "".join(map(str, levels))
