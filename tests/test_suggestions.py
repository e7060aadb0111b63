"""The meeting-time suggestion rule (plain Python, no wire): candidates, confidence,
working hours, ordering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ews_propose.rules.availability import Event, availability_at, in_working_hours, suggest_times

MONDAY = datetime(2026, 12, 7, tzinfo=UTC)  # a Monday


def event(hour: int, busy: str = "busy", hours: int = 1) -> Event:
    start = MONDAY.replace(hour=hour)
    return Event(start, start + timedelta(hours=hours), busy, "id", "x", "", True, False, True)


def test_availability_is_the_busiest_overlap():
    events = [event(10, "tentative"), event(11, "busy")]
    at = MONDAY.replace(hour=10)
    assert availability_at(events, at, at + timedelta(hours=1)) == "tentative"
    assert availability_at(events, at, at + timedelta(hours=2)) == "busy"
    assert availability_at(events, at - timedelta(hours=1), at) == "free"
    assert availability_at(None, at, at) == "unknown"


def test_working_hours():
    assert in_working_hours(MONDAY.replace(hour=8), MONDAY.replace(hour=9))
    assert not in_working_hours(MONDAY.replace(hour=16, minute=30), MONDAY.replace(hour=17, minute=30))
    saturday = MONDAY + timedelta(days=5)
    assert not in_working_hours(saturday.replace(hour=10), saturday.replace(hour=11))


def test_suggestions_rank_by_confidence_then_time():
    schedules = {"a@x": [event(9), event(10, "tentative")], "b@x": [], "ghost@x": None}
    window = [(MONDAY.replace(hour=8), MONDAY.replace(hour=12))]
    found = suggest_times(schedules, window, timedelta(hours=1), ["a@x", "b@x"], minimum_confidence=0)
    starts = [(s.start.hour, s.start.minute, s.confidence) for s in found]
    # 08:00 and 11:00 free for both (100); 10:00-11:00 tentative for a (75); 08:30, 09:xx busy (50)
    assert starts[:2] == [(8, 0, 100.0), (11, 0, 100.0)]
    assert (10, 0, 75.0) in starts and (9, 0, 50.0) in starts
    assert found[0].availability == {"a@x": "free", "b@x": "free", "ghost@x": "unknown"}
    strict = suggest_times(schedules, window, timedelta(hours=1), ["a@x", "b@x"], minimum_confidence=100)
    assert [s.start.hour for s in strict] == [8, 11]
    assert suggest_times(schedules, window, timedelta(hours=1), ["a@x"], max_candidates=1)[0].start.hour == 8


def test_candidates_stay_inside_windows_and_working_hours():
    window = [(MONDAY.replace(hour=16, minute=10), MONDAY.replace(hour=19))]
    found = suggest_times({}, window, timedelta(minutes=30), [])
    assert [(s.start.hour, s.start.minute) for s in found] == [(16, 30)]
    anytime = suggest_times({}, window, timedelta(minutes=30), [], working_hours_only=False)
    assert len(anytime) == 5
