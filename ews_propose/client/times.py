"""Datetimes on the wire: the client takes aware datetimes only and always sends UTC
with ``Z`` (EWS reads zone-less xs:dateTime values in the request's time zone, so a
naive value would silently mean different instants on different servers)."""

from __future__ import annotations

from datetime import UTC, datetime

from .errors import NaiveDatetimeError


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(
            f"{name} {value.isoformat()} has no time zone: pass an aware datetime "
            "(e.g. datetime(..., tzinfo=ZoneInfo('Europe/Paris')) or UTC)"
        )
    return value


def to_wire(value: datetime, name: str = "datetime") -> str:
    """``2026-12-02T12:00:00Z``: the instant in UTC, seconds precision as Exchange keeps it."""
    utc = require_aware(value, name).astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def as_utc(value: datetime | None) -> datetime | None:
    """A datetime from an answer, in UTC (zeep gives aware values; a bare one is UTC,
    which is how the emulator and Exchange write them)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_aware(text: str, name: str = "time") -> datetime:
    """An ISO 8601 string with a zone (``Z`` or an offset), for the CLI."""
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise NaiveDatetimeError(f"{name} {text!r} is not an ISO 8601 date-time "
                                 "(e.g. 2026-12-02T12:00:00Z)") from None
    return require_aware(value, f"{name} {text!r}")
