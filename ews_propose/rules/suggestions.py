"""Meeting time suggestions as EWS's GetUserAvailability gives them
(SuggestionsViewOptions -> SuggestionsResponse): per day of the window, candidate start
times every 30 minutes, each rated by how many attendees have a conflict.

Quality (Microsoft's "SuggestionQuality"): Excellent when nobody has a conflict; Good
when at most GoodThreshold percent of the attendees do; Fair when fewer than half do;
Poor otherwise. A conflict is busy, tentative or out-of-office time; an attendee
without free/busy data counts as no conflict. Rooms are attendees like any other.
A day's quality is its best suggestion's (Poor for a day without one): a project
decision, Exchange's exact day rating is not public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from .availability import WORKING_HOURS, Event, WorkingHours, availability_at, in_working_hours
from .model import FREE

EXCELLENT, GOOD, FAIR, POOR = "excellent", "good", "fair", "poor"
QUALITIES = (EXCELLENT, GOOD, FAIR, POOR)
STEP = timedelta(minutes=30)


@dataclass(frozen=True)
class Options:
    window_start: datetime
    window_end: datetime
    duration: timedelta = timedelta(minutes=30)
    good_threshold: int = 25
    max_results_by_day: int = 10
    max_non_work_results_by_day: int = 0
    minimum_quality: str = FAIR


@dataclass(frozen=True)
class Suggestion:
    start: datetime
    is_work_time: bool
    quality: str
    availability: tuple[str | None, ...]  # per attendee, in request order; None: no data


@dataclass(frozen=True)
class Day:
    date: datetime  # the day's midnight in the request's zone
    quality: str
    suggestions: tuple[Suggestion, ...]


def rate(availability: list[str | None], good_threshold: int) -> str:
    known = [a for a in availability if a is not None]
    conflicts = sum(1 for a in known if a != FREE)
    if conflicts == 0:
        return EXCELLENT
    share = 100 * conflicts / len(availability)
    if share <= good_threshold:
        return GOOD
    if share < 50:
        return FAIR
    return POOR


def suggest(schedules: list[list[Event] | None], options: Options, zone: tzinfo,
            hours: WorkingHours = WORKING_HOURS) -> list[Day]:
    """The day results for ``schedules`` (one per attendee, None for one without data)."""
    worst = QUALITIES.index(options.minimum_quality)
    out: list[Day] = []
    day = options.window_start.astimezone(zone).date()
    last = (options.window_end - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last:
        out.append(_day(day, schedules, options, zone, hours, worst))
        day += timedelta(days=1)
    return out


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _day(day: date, schedules, options: Options, zone: tzinfo, hours: WorkingHours, worst: int) -> Day:
    begin, finish = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    work: list[Suggestion] = []
    other: list[Suggestion] = []
    start = begin
    while start + options.duration <= finish:
        end = start + options.duration
        if start >= options.window_start and end <= options.window_end:
            availability = tuple(None if events is None else availability_at(events, start, end)
                                 for events in schedules)
            quality = rate(list(availability), options.good_threshold)
            if QUALITIES.index(quality) <= worst:
                is_work = in_working_hours(start, end, hours)
                (work if is_work else other).append(Suggestion(start, is_work, quality, availability))
        start += STEP
    kept = _best(work, options.max_results_by_day) + _best(other, options.max_non_work_results_by_day)
    kept.sort(key=lambda s: s.start)
    quality = min((s.quality for s in kept), key=QUALITIES.index, default=POOR)
    return Day(begin, quality, tuple(kept))


def _best(found: list[Suggestion], limit: int) -> list[Suggestion]:
    return sorted(found, key=lambda s: (QUALITIES.index(s.quality), s.start))[:limit]
