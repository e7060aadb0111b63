"""Time zones as the meeting rules see them: zone ids, and all-day events.

An item keeps the zone its times were given in (``Item.time_zone`` for the start,
``Item.end_time_zone`` for the end) as a Windows zone id ("W. Europe Standard Time"),
or, from the Graph surface, possibly an IANA name. Windows ids map to IANA zones
through tzlocal's copy of CLDR's windowsZones table; the rules of each zone come from
tzdata. Nothing here is a hand-written table.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import tz_win, win_tz

UTC_IDS = frozenset({"UTC", "GMT", "Etc/UTC", "Etc/GMT", "Z"})


@lru_cache(maxsize=512)
def zone_of(zone_id: str | None) -> tzinfo | None:
    """The zone a Windows id or IANA name stands for; None when empty or unknown."""
    if not zone_id:
        return None
    if zone_id in UTC_IDS:
        return UTC
    iana = win_tz.get(zone_id) or (zone_id if "/" in zone_id else None)
    if iana is None:
        return None
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def windows_id(zone_id: str | None) -> str:
    """The Windows id of a zone id (Windows ids as they are, IANA names through CLDR);
    "UTC" when empty or unknown."""
    if not zone_id or zone_id in UTC_IDS:
        return "UTC"
    if zone_id in win_tz:
        return zone_id
    return tz_win.get(zone_id, "UTC")


def item_zone(zone_id: str | None) -> tzinfo:
    return zone_of(zone_id) or UTC


def snap_all_day(start: datetime, end: datetime, start_zone: tzinfo, end_zone: tzinfo) -> tuple[datetime, datetime]:
    """An all-day event's times as Exchange keeps them: a start that is not midnight
    goes back to the previous midnight, an end that is not midnight on to the next
    one, both in the item's zones (EWS: "How to: Create all-day events")."""
    local_start = start.astimezone(start_zone)
    snapped_start = _midnight(local_start.date(), start_zone)
    local_end = end.astimezone(end_zone)
    end_day = local_end.date()
    if local_end.time() != time(0):
        end_day += timedelta(days=1)
    snapped_end = _midnight(end_day, end_zone)
    if snapped_end <= snapped_start:
        snapped_end = _midnight(local_start.date() + timedelta(days=1), end_zone)
    return snapped_start.astimezone(UTC), snapped_end.astimezone(UTC)


def _midnight(day, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
