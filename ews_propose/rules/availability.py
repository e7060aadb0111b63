"""Free/busy: who is free, tentative or busy over a window, from their calendars.

Plain Python over calendar items; each surface shapes the answer (EWS
GetUserAvailability, later Graph getSchedule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from .model import BUSY, FREE, OOF, TENTATIVE, Item

NO_DATA = "no_data"
WORKING_ELSEWHERE = "working_elsewhere"
# MergedFreeBusy digits; in an interval the highest wins.
_DIGIT = {FREE: 0, WORKING_ELSEWHERE: 0, TENTATIVE: 1, BUSY: 2, OOF: 3, NO_DATA: 4}


@dataclass(frozen=True)
class WorkingHours:
    """When a mailbox works: days, start and end (local "HH:MM:SS") in a zone (a Windows
    id or IANA name). Per mailbox in the directory TOML (``working_hours``); by default
    Monday to Friday, 08:00 to 17:00 UTC (a project decision)."""

    days: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday")
    start: str = "08:00:00"
    end: str = "17:00:00"
    zone: str = "UTC"


WORKING_HOURS = WorkingHours()


def parse_working_hours(data: object) -> WorkingHours:
    """A directory entry's ``working_hours`` table: ``days`` (names), ``start``/``end``
    ("HH:MM" or "HH:MM:SS"), ``zone``; ValueError names what is wrong."""
    from .zones import zone_of

    if not isinstance(data, dict):
        raise ValueError("expected a table with days, start, end and zone")
    unknown = sorted(set(data) - {"days", "start", "end", "zone"})
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(unknown)}")
    days = data.get("days", list(WORKING_HOURS.days))
    if not isinstance(days, list) or not days or any(
            not isinstance(d, str) or d.lower() not in _WEEKDAYS for d in days):
        raise ValueError(f"'days' must be a list of day names ({', '.join(_WEEKDAYS)})")

    def clock(name: str) -> str:
        value = data.get(name, getattr(WORKING_HOURS, name))
        if not isinstance(value, str):
            raise ValueError(f"'{name}' must be a time such as \"08:30\"")
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{name}' must be a time such as \"08:30\", got {value!r}") from None
        return parsed.strftime("%H:%M:%S")

    start, end = clock("start"), clock("end")
    if end <= start:
        raise ValueError("'end' must be after 'start'")
    zone = data.get("zone", WORKING_HOURS.zone)
    if not isinstance(zone, str) or zone_of(zone) is None:
        raise ValueError(f"'zone' must be a Windows time zone id or an IANA name, got {zone!r}")
    return WorkingHours(tuple(d.lower() for d in days), start, end, zone)


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
    is_recurring: bool = False  # an occurrence or exception of a series
    is_exception: bool = False


def events_of(items: list[Item]) -> list[Event]:
    """Calendar items overlapping a window, as events (cancelled ones are free time)."""
    return [
        Event(i.start, i.end, i.free_busy, i.id, i.subject, i.location, i.is_meeting,
              i.sensitivity in ("Private", "Confidential"), i.reminder_is_set,
              i.calendar_type in ("occurrence", "exception"), i.calendar_type == "exception")
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


# --- meeting time suggestions --------------------------------------------------------------

# Per-attendee confidence in a slot; a suggestion's confidence is their average.
# Free 100, unknown 49 and busy 0 are Graph's (findMeetingTimes); tentative 50 is ours.
CONFIDENCE = {FREE: 100.0, TENTATIVE: 50.0, "unknown": 49.0, BUSY: 0.0, OOF: 0.0}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Suggestion:
    start: datetime
    end: datetime
    confidence: float
    availability: dict[str, str]  # smtp -> free | tentative | busy | oof | unknown


def availability_at(events: list[Event] | None, start: datetime, end: datetime) -> str:
    """One person's availability over [start, end): the busiest event overlapping it."""
    if events is None:
        return "unknown"
    worst = FREE
    for e in events:
        if e.start < end and e.end > start and _DIGIT.get(e.busy_type, 2) > _DIGIT.get(worst, 0):
            worst = e.busy_type
    return worst if worst in CONFIDENCE else BUSY


def in_working_hours(start: datetime, end: datetime, hours: WorkingHours = WORKING_HOURS) -> bool:
    """Whether [start, end) lies inside one working day, in the hours' zone."""
    from .zones import item_zone

    zone = item_zone(hours.zone)
    start, end = start.astimezone(zone), end.astimezone(zone)
    if start.date() != (end - timedelta(microseconds=1)).date():
        return False
    if _WEEKDAYS[start.weekday()] not in hours.days:
        return False
    begin = start.replace(hour=int(hours.start[:2]), minute=int(hours.start[3:5]), second=0, microsecond=0)
    finish = start.replace(hour=int(hours.end[:2]), minute=int(hours.end[3:5]), second=0, microsecond=0)
    return begin <= start and end <= finish


def suggest_times(
    schedules: dict[str, list[Event] | None],
    windows: list[tuple[datetime, datetime]],
    duration: timedelta,
    counted: list[str],
    minimum_confidence: float = 50.0,
    max_candidates: int = 20,
    working_hours_only: bool = True,
    step: timedelta = timedelta(minutes=30),
    hours: WorkingHours = WORKING_HOURS,
) -> list[Suggestion]:
    """Candidate slots of ``duration`` every ``step`` inside the windows (and the working
    day of ``hours``, unless told otherwise), each with every person's availability; those whose
    confidence (the average over ``counted``) reaches ``minimum_confidence``, best first,
    then earliest."""
    found: list[Suggestion] = []
    seen: set[datetime] = set()
    for window_start, window_end in windows:
        start = _align(window_start, step)
        # Bounded arithmetic: a window ending near 9999-12-31 stops where time does.
        while start is not None and (end := _plus(start, duration)) is not None and end <= window_end:
            if start >= window_start and start not in seen and (not working_hours_only or in_working_hours(start, end, hours)):
                seen.add(start)
                availability = {smtp: availability_at(events, start, end) for smtp, events in schedules.items()}
                scores = [CONFIDENCE[availability[smtp]] for smtp in counted if smtp in availability]
                confidence = sum(scores) / len(scores) if scores else 100.0
                if confidence >= minimum_confidence:
                    found.append(Suggestion(start, end, confidence, availability))
            start = _plus(start, step)
    found.sort(key=lambda s: (-s.confidence, s.start))
    return found[:max_candidates]


def _plus(moment: datetime, delta: timedelta) -> datetime | None:
    """``moment + delta``, or None past the last representable time."""
    try:
        return moment + delta
    except OverflowError:
        return None


def _align(moment: datetime, step: timedelta) -> datetime | None:
    """The first multiple of ``step`` (from the hour) at or after ``moment`` (None when
    that would be past the last representable time)."""
    base: datetime | None = moment.replace(minute=0, second=0, microsecond=0)
    while base is not None and base < moment:
        base = _plus(base, step)
    return base
