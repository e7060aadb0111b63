"""GetServerTimeZones: Windows time zone definitions, built from tzdata for the current
year. exchangelib asks for one before every free/busy query."""

from __future__ import annotations

from ...rules import clock
from ..context import EwsRequest, Responses
from ..errors import EwsFault
from ..timezones import WEEKDAYS, known_zone_ids, zone_definition
from ..xml import M, T, format_duration, localname, parse_bool, sub
from . import operation


def _bias(minutes_from_utc: int) -> str:
    # A Period's Bias is what to add to local time to get UTC, as xs:duration.
    bias = -minutes_from_utc
    return f"{'-' if bias < 0 else ''}PT{abs(bias)}M"


def GetServerTimeZones(req: EwsRequest, request):
    full = True
    if request.get("ReturnFullTimeZoneData") is not None:
        holder = request.makeelement("ReturnFullTimeZoneData")
        holder.text = request.get("ReturnFullTimeZoneData")
        full = parse_bool(holder)
    ids_el = request.find(M + "Ids")
    ids = [(el.text or "").strip() for el in ids_el if localname(el) == "Id"] if ids_el is not None else None
    year = clock.now().year
    out = Responses("GetServerTimeZones")
    limit = req.rules.limits.max_ids_per_request
    if ids and len(ids) > limit:  # one response message for all ids: the whole request stops
        msg = out.error("ErrorTooManyObjectsOpened", f"The request names {len(ids)} time zones; this "
                        f"server answers at most {limit} in one request.")
        sub(msg, M + "TimeZoneDefinitions")  # required by the schema, empty on an error
        return out.root
    try:
        made: dict[str, object] = {}  # a zone named twice is worked out once
        for zone_id in ids if ids else known_zone_ids():
            if zone_id not in made:
                made[zone_id] = zone_definition(zone_id, year)
        definitions = [made[zone_id] for zone_id in (ids if ids else known_zone_ids())]
    except EwsFault as exc:
        sub(out.error(exc.code, exc.message), M + "TimeZoneDefinitions")
        return out.root
    msg = out.success()
    holder = sub(msg, M + "TimeZoneDefinitions")
    for d in definitions:
        el = sub(holder, T + "TimeZoneDefinition", Id=d.zone_id, Name=d.display_name)
        if not full:
            continue
        rule_id = f"trule:Microsoft/Registry/{d.zone_id}/{year}"
        periods = sub(el, T + "Periods")
        sub(periods, T + "Period", Bias=_bias(d.standard_minutes), Name="Standard", Id=f"{rule_id}-Standard")
        if d.daylight_minutes is not None:
            sub(periods, T + "Period", Bias=_bias(d.daylight_minutes), Name="Daylight", Id=f"{rule_id}-Daylight")
        group = sub(sub(el, T + "TransitionsGroups"), T + "TransitionsGroup", Id="0")
        if not d.rules:
            sub(sub(group, T + "Transition"), T + "To", f"{rule_id}-Standard", Kind="Period")
        for rule in d.rules:
            t = sub(group, T + "RecurringDayTransition")
            sub(t, T + "To", f"{rule_id}-{'Daylight' if rule.to_daylight else 'Standard'}", Kind="Period")
            sub(t, T + "TimeOffset", format_duration(rule.at))
            sub(t, T + "Month", str(rule.month))
            sub(t, T + "DayOfWeek", WEEKDAYS[rule.weekday])
            sub(t, T + "Occurrence", str(rule.occurrence))
        sub(sub(sub(el, T + "Transitions"), T + "Transition"), T + "To", "0", Kind="Group")
    return out.root


service = operation(GetServerTimeZones)
