"""Recurrence patterns of calendar items, and their occurrences.

A pattern is kept on the series' master (``Item.recurrence``) as a plain dict (see
:class:`Pattern`); its occurrences are worked out, never stored, with python-dateutil's
``rrule`` over the wall clock of the organizer's zone, so a 09:00 weekly meeting stays
at 09:00 local across daylight-saving changes. Exchange's patterns map onto rrule as:

- Daily / Weekly (DaysOfWeek, FirstDayOfWeek) / AbsoluteMonthly (DayOfMonth) /
  RelativeMonthly (DaysOfWeek + DayOfWeekIndex), all with an Interval;
- AbsoluteYearly (DayOfMonth + Month) / RelativeYearly (DaysOfWeek + DayOfWeekIndex +
  Month), yearly;
- ranges NoEnd, EndDate (inclusive, local date) and Numbered.

A DayOfMonth past a month's end falls on its last day (as Outlook and Exchange do); the
day names Day, Weekday and WeekendDay stand for their sets of days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from dateutil import rrule as R

from . import errors as E
from .errors import RuleError

DAILY = "daily"
WEEKLY = "weekly"
ABSOLUTE_MONTHLY = "absolute_monthly"
RELATIVE_MONTHLY = "relative_monthly"
ABSOLUTE_YEARLY = "absolute_yearly"
RELATIVE_YEARLY = "relative_yearly"
KINDS = (DAILY, WEEKLY, ABSOLUTE_MONTHLY, RELATIVE_MONTHLY, ABSOLUTE_YEARLY, RELATIVE_YEARLY)
NO_END = "no_end"
END_DATE = "end_date"
NUMBERED = "numbered"
RANGES = (NO_END, END_DATE, NUMBERED)

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_SETS = {"Day": DAY_NAMES, "Weekday": DAY_NAMES[:5], "WeekendDay": DAY_NAMES[5:]}
INDEXES = {"First": 1, "Second": 2, "Third": 3, "Fourth": 4, "Last": -1}
_RRULE_DAYS = (R.MO, R.TU, R.WE, R.TH, R.FR, R.SA, R.SU)
# No series is expanded past this many occurrences from its start (a NoEnd daily series
# begun a century ago would otherwise be walked for every view).
MAX_WALK = 100_000


@dataclass
class Pattern:
    kind: str
    start_date: date
    interval: int = 1
    days_of_week: list[str] = field(default_factory=list)
    first_day_of_week: str = "Sunday"
    day_of_month: int = 0
    day_index: str = ""
    month: int = 0
    range: str = NO_END
    end_date: date | None = None
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["start_date"] = self.start_date.isoformat()
        out["end_date"] = self.end_date.isoformat() if self.end_date else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pattern:
        data = dict(data)
        data["start_date"] = date.fromisoformat(data["start_date"])
        data["end_date"] = date.fromisoformat(data["end_date"]) if data.get("end_date") else None
        return cls(**data)

    def check(self) -> None:
        """ErrorCalendarInvalidRecurrence for a pattern no occurrence can come from."""
        def bad(why: str) -> RuleError:
            return RuleError(E.INVALID_RECURRENCE, f"The recurrence pattern is invalid: {why}.")
        if self.kind not in KINDS or self.range not in RANGES:
            raise bad("unknown pattern or range")
        if self.interval < 1 or self.interval > 999:
            raise bad("Interval must be between 1 and 999")
        if self.kind in (WEEKLY, RELATIVE_MONTHLY, RELATIVE_YEARLY) and not self.days_of_week:
            raise bad("DaysOfWeek is required")
        if any(d not in DAY_NAMES and d not in DAY_SETS for d in self.days_of_week):
            raise bad("DaysOfWeek names an unknown day")
        if self.kind == WEEKLY and any(d in DAY_SETS for d in self.days_of_week):
            raise bad("a weekly pattern takes plain day names")
        if self.kind in (ABSOLUTE_MONTHLY, ABSOLUTE_YEARLY) and not 1 <= self.day_of_month <= 31:
            raise bad("DayOfMonth must be between 1 and 31")
        if self.kind in (RELATIVE_MONTHLY, RELATIVE_YEARLY) and self.day_index not in INDEXES:
            raise bad("DayOfWeekIndex is required")
        if self.kind in (ABSOLUTE_YEARLY, RELATIVE_YEARLY) and not 1 <= self.month <= 12:
            raise bad("Month is required")
        if self.range == NUMBERED and self.count < 1:
            raise bad("NumberOfOccurrences must be at least 1")
        if self.range == END_DATE and (self.end_date is None or self.end_date < self.start_date):
            raise bad("EndDate must not be before StartDate")


def pattern_of(data: dict[str, Any] | None) -> Pattern | None:
    return Pattern.from_dict(data) if data else None


def _days(names: list[str]) -> list[Any]:
    out: list[str] = []
    for name in names:
        for day in DAY_SETS.get(name, (name,)):
            if day not in out:
                out.append(day)
    return [_RRULE_DAYS[DAY_NAMES.index(d)] for d in out]


def _month_day(day: int) -> dict[str, Any]:
    # The 29th..31st fall on a shorter month's last day: of {day, last day}, the first.
    return {"bymonthday": day} if day <= 28 else {"bymonthday": (day, -1), "bysetpos": 1}


def _rule(p: Pattern, at: time) -> R.rrule:
    common: dict[str, Any] = {"dtstart": datetime.combine(p.start_date, at), "cache": False}
    if p.range == NUMBERED:
        common["count"] = p.count
    elif p.range == END_DATE and p.end_date is not None:
        common["until"] = datetime.combine(p.end_date, time(23, 59, 59))
    if p.kind == DAILY:
        return R.rrule(R.DAILY, interval=p.interval, **common)
    if p.kind == WEEKLY:
        return R.rrule(R.WEEKLY, interval=p.interval, byweekday=_days(p.days_of_week),
                       wkst=_RRULE_DAYS[DAY_NAMES.index(p.first_day_of_week)]
                       if p.first_day_of_week in DAY_NAMES else R.SU, **common)
    if p.kind == ABSOLUTE_MONTHLY:
        return R.rrule(R.MONTHLY, interval=p.interval, **_month_day(p.day_of_month), **common)
    if p.kind == RELATIVE_MONTHLY:
        return R.rrule(R.MONTHLY, interval=p.interval, byweekday=_days(p.days_of_week),
                       bysetpos=INDEXES[p.day_index], **common)
    if p.kind == ABSOLUTE_YEARLY:
        return R.rrule(R.YEARLY, bymonth=p.month, **_month_day(p.day_of_month), **common)
    return R.rrule(R.YEARLY, bymonth=p.month, byweekday=_days(p.days_of_week),
                   bysetpos=INDEXES[p.day_index], **common)


@dataclass(frozen=True)
class Slot:
    """One occurrence as the pattern places it: 1-based index, UTC start and end."""

    index: int
    start: datetime
    end: datetime


def slots(p: Pattern, first_start: datetime, duration: timedelta, zone: tzinfo,
          until: datetime | None = None) -> Iterator[Slot]:
    """The pattern's occurrences in order, each at the wall-clock time of ``first_start``
    in ``zone``; stops before the first one starting at or after ``until`` (required
    for a NoEnd pattern, else the walk ends at MAX_WALK)."""
    at = first_start.astimezone(zone).time().replace(tzinfo=None)
    for n, local in enumerate(_rule(p, at), start=1):
        if n > MAX_WALK:
            return
        start = local.replace(tzinfo=zone).astimezone(UTC)
        if until is not None and start >= until:
            return
        yield Slot(n, start, start + duration)


def first_slot(p: Pattern, first_start: datetime, duration: timedelta, zone: tzinfo) -> Slot | None:
    return next(slots(p, first_start, duration, zone), None)


def last_slot(p: Pattern, first_start: datetime, duration: timedelta, zone: tzinfo) -> Slot | None:
    """The series' last occurrence; None for a NoEnd series."""
    if p.range == NO_END:
        return None
    found = None
    for slot in slots(p, first_start, duration, zone):
        found = slot
    return found


def slot_at(p: Pattern, first_start: datetime, duration: timedelta, zone: tzinfo, index: int) -> Slot | None:
    if index < 1 or index > MAX_WALK:
        return None
    for slot in slots(p, first_start, duration, zone):
        if slot.index == index:
            return slot
    return None


def slot_starting(p: Pattern, first_start: datetime, duration: timedelta, zone: tzinfo,
                  original_start: datetime) -> Slot | None:
    """The occurrence whose pattern start is ``original_start`` (its RecurrenceId)."""
    for slot in slots(p, first_start, duration, zone, until=original_start + timedelta(seconds=1)):
        if slot.start == original_start:
            return slot
    return None
