"""Time zones in requests.

EWS sends times either with a zone (``Z`` or an offset) or without one; the latter are
read in the request's zone: the TimeZoneContext header's Windows zone id (mapped to an
IANA zone with tzlocal's CLDR table and tzdata), or, inside GetUserAvailability, the
request's own SerializableTimeZone (a bias plus standard/daylight transition rules).
Answers are always UTC with ``Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree
from tzlocal.windows_tz import win_tz

from .errors import EwsFault
from .xml import SchemaViolation, T, int_value

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def windows_zone(zone_id: str) -> tzinfo:
    """A Windows time zone id ("Pacific Standard Time") as a zone; ErrorTimeZone if unknown."""
    if zone_id in ("UTC", "GMT"):
        return UTC
    iana = win_tz.get(zone_id)
    if iana is None:
        raise EwsFault("ErrorTimeZone", f"The time zone '{zone_id}' is not a known Windows time zone id.")
    try:
        return ZoneInfo(iana)
    except ZoneInfoNotFoundError:
        raise EwsFault("ErrorTimeZone", f"The time zone '{zone_id}' ({iana}) has no zone data.") from None


class SerializableZone(tzinfo):
    """GetUserAvailability's TimeZone: UTC = local + Bias (+ the period's own Bias)."""

    def __init__(self, bias: int, standard: _Transition | None, daylight: _Transition | None) -> None:
        self.bias = bias
        self.standard = standard
        self.daylight = daylight

    def utcoffset(self, dt: datetime | None) -> timedelta:
        extra = 0
        if dt is not None and self.standard and self.daylight and self.daylight.month:
            extra = self.daylight.bias if self._in_daylight(dt) else self.standard.bias
        elif self.standard:
            extra = self.standard.bias
        return -timedelta(minutes=self.bias + extra)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "SerializableTimeZone"

    def _in_daylight(self, dt: datetime) -> bool:
        assert self.standard and self.daylight
        naive = dt.replace(tzinfo=None)
        begins = self.daylight.on(naive.year)
        ends = self.standard.on(naive.year)
        if begins < ends:  # northern hemisphere
            return begins <= naive < ends
        return not (ends <= naive < begins)


class _Transition:
    def __init__(self, bias: int, at: time, order: int, month: int, weekday: int) -> None:
        self.bias, self.at, self.order, self.month, self.weekday = bias, at, order, month, weekday

    def on(self, year: int) -> datetime:
        """The local moment of this transition in ``year`` (order 5 means the last)."""
        first = datetime(year, self.month, 1)
        offset = (self.weekday - first.weekday()) % 7
        day = first + timedelta(days=offset + 7 * (min(self.order, 5) - 1))
        while day.month != self.month:
            day -= timedelta(days=7)
        return datetime.combine(day.date(), self.at)


def serializable_zone(el: etree._Element) -> SerializableZone:
    bias_el = el.find(T + "Bias")
    if bias_el is None:
        raise SchemaViolation("The element 'TimeZone' is missing its required child 'Bias'.", el)
    return SerializableZone(int_value(bias_el.text, "element 'Bias'", bias_el),
                            _transition(el.find(T + "StandardTime")), _transition(el.find(T + "DaylightTime")))


def _transition(el: etree._Element | None) -> _Transition | None:
    if el is None:
        return None

    def child(name: str) -> str:
        found = el.find(T + name)
        if found is None:
            raise SchemaViolation(f"The element '{etree.QName(el).localname}' is missing its child '{name}'.", el)
        return (found.text or "").strip()

    try:
        at = time.fromisoformat(child("Time"))
    except ValueError:
        raise SchemaViolation(f"'{child('Time')}' is not a valid xs:time.", el) from None
    weekday = child("DayOfWeek")
    if weekday not in WEEKDAYS:
        raise SchemaViolation(f"'{weekday}' is not a valid DayOfWeek.", el)
    return _Transition(int_value(child("Bias"), "element 'Bias'", el), at,
                       int_value(child("DayOrder"), "element 'DayOrder'", el, 1, 5),
                       int_value(child("Month"), "element 'Month'", el, 0, 12), WEEKDAYS.index(weekday))


# --- zone definitions for GetServerTimeZones -----------------------------------------


class ZoneRule:
    """A yearly switch, as Windows describes it: the Nth weekday of a month at a local time."""

    def __init__(self, to_daylight: bool, month: int, weekday: int, occurrence: int, at: timedelta) -> None:
        self.to_daylight, self.month, self.weekday, self.occurrence, self.at = (
            to_daylight, month, weekday, occurrence, at)


class ZoneDefinition:
    def __init__(self, zone_id: str, standard_minutes: int, daylight_minutes: int | None,
                 rules: list[ZoneRule]) -> None:
        self.zone_id = zone_id
        self.standard_minutes = standard_minutes  # offset from UTC
        self.daylight_minutes = daylight_minutes
        self.rules = rules

    @property
    def display_name(self) -> str:
        sign = "+" if self.standard_minutes >= 0 else "-"
        hours, minutes = divmod(abs(self.standard_minutes), 60)
        iana = win_tz.get(self.zone_id, "Etc/UTC")
        return f"(UTC{sign}{hours:02d}:{minutes:02d}) {iana}"


def known_zone_ids() -> list[str]:
    return sorted(set(win_tz) | {"UTC"})


def zone_definition(zone_id: str, year: int) -> ZoneDefinition:
    """The standard/daylight offsets and switch rules of a Windows zone in ``year``, from tzdata."""
    zone = windows_zone(zone_id)
    switches = _switches(zone, year)
    if not switches:
        offset = datetime(year, 1, 1, tzinfo=UTC).astimezone(zone).utcoffset()
        return ZoneDefinition(zone_id, int(offset.total_seconds() // 60), None, [])
    rules = []
    standard = daylight = None
    for instant, before, after in switches[-2:]:
        local = (instant + before).replace(tzinfo=None)  # the wall clock just before the switch
        to_daylight = bool((instant + timedelta(minutes=1)).astimezone(zone).dst())
        days_in_month = ((local.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
        occurrence = -1 if local.day + 7 > days_in_month else (local.day - 1) // 7 + 1
        rules.append(ZoneRule(to_daylight, local.month, local.weekday(), occurrence,
                              timedelta(hours=local.hour, minutes=local.minute)))
        minutes = int(after.total_seconds() // 60)
        if to_daylight:
            daylight = minutes
        else:
            standard = minutes
    if standard is None or daylight is None:  # a one-off change of offset, not a yearly switch
        return ZoneDefinition(zone_id, int(switches[-1][2].total_seconds() // 60), None, [])
    return ZoneDefinition(zone_id, standard, daylight, rules)


def _switches(zone: tzinfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) of every change of offset in ``year``."""
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    before = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + timedelta(days=1)
        after = following.astimezone(zone).utcoffset()
        if after != before:
            low, high = moment, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            found.append((high, before, after))
            before = after
        moment = following
    return found


# --- the zones of calendar items (StartTimeZone / EndTimeZone / MeetingTimeZone) -------

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
DAY_ORDERS = ("First", "Second", "Third", "Fourth", "Last")


def item_zone_id(el: etree._Element) -> str:
    """The Windows zone id a StartTimeZone/EndTimeZone (TimeZoneDefinitionType) or a
    MeetingTimeZone (TimeZoneType) names; ErrorTimeZone when it names none we know.

    Zones are taken by their id (what Exchange's clients send); a definition made only
    of periods and transitions, without a known id, is refused rather than guessed at.
    """
    name = localname_of(el)
    zone_id = el.get("Id")
    if name == "MeetingTimeZone":
        zone_id = el.get("TimeZoneName") or zone_id  # exchangelib writes Id here too
    if not zone_id:
        raise EwsFault("ErrorTimeZone", f"The {name} names no time zone id; this emulator takes "
                                        "time zones by their Windows id (e.g. 'W. Europe Standard Time').")
    windows_zone(zone_id)  # refuses an unknown id
    return "UTC" if zone_id == "GMT" else zone_id


def localname_of(el: etree._Element) -> str:
    return etree.QName(el).localname


def zone_display_name(zone_id: str) -> str:
    return _definition(zone_id).display_name


@lru_cache(maxsize=256)
def _definition(zone_id: str) -> ZoneDefinition:
    return zone_definition(zone_id, datetime.now(UTC).year)


def _duration(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}PT{hours}H{rest}M" if rest else f"{sign}PT{hours}H"


def meeting_time_zone_xml(zone_id: str, tag: str = "MeetingTimeZone") -> str:
    """Exchange 2007's TimeZoneType: a base offset (UTC = local + BaseOffset) and, for a
    zone with daylight saving, the yearly Standard/Daylight changes."""
    d = _definition(zone_id)
    out = [f'<t:{tag} TimeZoneName="{zone_id}"><t:BaseOffset>{_duration(-d.standard_minutes)}</t:BaseOffset>']
    if d.daylight_minutes is not None and len(d.rules) == 2:
        by_kind = {rule.to_daylight: rule for rule in d.rules}
        for label, to_daylight, minutes in (("Standard", False, 0),
                                            ("Daylight", True, d.standard_minutes - d.daylight_minutes)):
            rule = by_kind[to_daylight]
            index = "Last" if rule.occurrence == -1 else DAY_ORDERS[min(rule.occurrence, 5) - 1]
            seconds = int(rule.at.total_seconds())
            out.append(f"<t:{label}><t:Offset>{_duration(minutes) if minutes else 'PT0M'}</t:Offset>"
                       f"<t:RelativeYearlyRecurrence><t:DaysOfWeek>{WEEKDAYS[rule.weekday]}</t:DaysOfWeek>"
                       f"<t:DayOfWeekIndex>{index}</t:DayOfWeekIndex><t:Month>{MONTHS[rule.month - 1]}</t:Month>"
                       f"</t:RelativeYearlyRecurrence>"
                       f"<t:Time>{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:00</t:Time></t:{label}>")
    out.append(f"</t:{tag}>")
    return "".join(out)


def serializable_zone_xml(zone_id: str, tag: str = "TimeZone") -> str:
    """A zone as GetUserAvailability's SerializableTimeZone (UTC = local + Bias), from
    tzdata; a zone without daylight saving gets the placeholder transitions Exchange writes
    for one (January's first Monday, December's last Sunday, no bias), which exchangelib maps."""
    d = _definition(zone_id)

    def period(label: str, bias: int, rule: ZoneRule | None) -> str:
        if rule is None:  # Exchange's placeholder transitions, both with zero bias
            order, month, weekday = (1, 1, "Monday") if label == "StandardTime" else (5, 12, "Sunday")
            return (f"<t:{label}><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>{order}</t:DayOrder>"
                    f"<t:Month>{month}</t:Month><t:DayOfWeek>{weekday}</t:DayOfWeek></t:{label}>")
        seconds = int(rule.at.total_seconds())
        order = 5 if rule.occurrence == -1 else rule.occurrence
        return (f"<t:{label}><t:Bias>{bias}</t:Bias><t:Time>{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:00"
                f"</t:Time><t:DayOrder>{order}</t:DayOrder><t:Month>{rule.month}</t:Month>"
                f"<t:DayOfWeek>{WEEKDAYS[rule.weekday]}</t:DayOfWeek></t:{label}>")

    rules = {rule.to_daylight: rule for rule in d.rules} if d.daylight_minutes is not None else {}
    daylight_bias = (d.standard_minutes - d.daylight_minutes) if d.daylight_minutes is not None else 0
    return (f"<t:{tag}><t:Bias>{-d.standard_minutes}</t:Bias>" + period("StandardTime", 0, rules.get(False))
            + period("DaylightTime", daylight_bias, rules.get(True)) + f"</t:{tag}>")
