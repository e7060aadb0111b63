"""Time zones on the Graph surface: ``dateTimeTimeZone`` values and ``Prefer:
outlook.timezone``.

A zone is a Windows name ("Pacific Standard Time", mapped with tzlocal's CLDR table) or
an IANA name ("America/Los_Angeles"). Answers carry the zone's local time with seven
fractional digits and no offset, the zone echoed as the client spelled it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import win_tz

from .errors import GraphError

_PREFER_TZ = re.compile(r'outlook\.timezone\s*=\s*"([^"]*)"', re.IGNORECASE)
_FRACTION = re.compile(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$")
UTC_NAMES = {"utc", "gmt", "etc/utc", "etc/gmt", "z", "coordinated universal time"}


@dataclass(frozen=True)
class Zone:
    name: str  # as the client spelled it
    tz: tzinfo


UTC_ZONE = Zone("UTC", UTC)
# What an Exchange mailbox stores: FILETIME starts in 1601; 4501-01-01 means "no time".
EARLIEST = datetime(1601, 1, 1, tzinfo=UTC)
LATEST = datetime(4500, 12, 31, 23, 59, 59, tzinfo=UTC)


def not_supported(name: str) -> GraphError:
    return GraphError(400, "TimeZoneNotSupportedException",
                      f"A valid TimeZone value must be specified. The following TimeZone value is "
                      f"not supported: '{name}'.")


@lru_cache(maxsize=512)
def _lookup(name: str) -> tzinfo | None:
    if name.strip().lower() in UTC_NAMES:
        return UTC
    iana = win_tz.get(name.strip())
    if iana is None:
        # Windows names are matched case-insensitively, IANA names as written.
        folded = {k.lower(): v for k, v in win_tz.items()}
        iana = folded.get(name.strip().lower())
    if iana is None and "/" in name:
        iana = name.strip()
    if iana is None:
        return None
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone(name: str | None) -> Zone:
    """The zone a request names; no name is UTC; an unknown one is a 400."""
    if name is None or not name.strip():
        return Zone("UTC", UTC)
    tz = _lookup(name)
    if tz is None:
        raise not_supported(name)
    return Zone(name, tz)


def preferred(prefer_headers: list[str]) -> Zone | None:
    """The zone of a ``Prefer: outlook.timezone="..."`` header, None without one."""
    for header in prefer_headers:
        match = _PREFER_TZ.search(header)
        if match:
            return zone(match.group(1))
    return None


def parse(value: str, zone_name: str | None) -> datetime:
    """A ``dateTimeTimeZone`` as an aware UTC datetime. An offset or ``Z`` in the value
    wins over the zone; more than six fractional digits are cut to microseconds."""
    where = zone(zone_name)
    text = value.strip()
    match = _FRACTION.match(text)
    if match:
        text = f"{match.group(1)}.{match.group(2)[:6].ljust(6, '0')}{match.group(3)}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise GraphError(400, "ErrorInvalidRequest",
                         f"Cannot convert the literal '{value}' to the expected type 'Edm.DateTime'.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=where.tz)
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        moment = datetime.min.replace(tzinfo=UTC)  # out of range either way: refused below
    if not EARLIEST <= moment <= LATEST:
        raise GraphError(400, "ErrorInvalidRequest",
                         f"The time '{value}' is outside the range this mailbox can store (1601 to 4500).")
    return moment


def _digits(moment: datetime) -> str:
    # Four-digit years always (strftime("%Y") writes year 1 as "1").
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}")


def local_text(moment: datetime, where: Zone) -> str:
    """``2019-08-15T12:00:00.0000000``: local time in the zone, seven fractional digits
    (OverflowError for a time the zone would push past the calendar's edge)."""
    local = moment.astimezone(where.tz)
    return _digits(local) + f".{local.microsecond:06d}0"


def date_time_time_zone(moment: datetime | None, where: Zone) -> dict | None:
    if moment is None:
        return None
    try:
        return {"dateTime": local_text(moment, where), "timeZone": where.name}
    except (OverflowError, ValueError):
        # A time near 0001-01-01 or 9999-12-31 UTC whose local form in this zone falls
        # outside the years 1-9999: said in UTC instead, which it always fits.
        return {"dateTime": local_text(moment, UTC_ZONE), "timeZone": "UTC"}


def utc_text(moment: datetime | None) -> str | None:
    """createdDateTime and the like: UTC with ``Z``."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return _digits(moment) + f".{moment.microsecond:06d}Z"
    return _digits(moment) + "Z"
