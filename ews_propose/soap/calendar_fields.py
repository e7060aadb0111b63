"""Calendar fields beyond a single meeting's basics: the item's time zones (this module)
and, in soap/recurrence.py, its recurrence. Writers follow soap/items/fields.py's conventions (they
append escaped XML text); soap/items/fields.py adds them to its field table.

Time zones on the wire: ``StartTimeZone`` / ``EndTimeZone`` (TimeZoneDefinitionType,
Exchange2010 and later) and ``MeetingTimeZone`` (TimeZoneType, Exchange2007) name the
zone a zone-less Start/End is read in, and are written back by their Windows id;
``StartTimeZoneId`` / ``EndTimeZoneId`` (Exchange2013) carry the id alone, ``TimeZone``
the zone's display name.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from lxml import etree

from ..rules import model as m
from ..rules.zones import windows_id, zone_of
from ..versions import schema_rank
from .timezones import item_zone_id, meeting_time_zone_xml, zone_display_name
from .xml import T, reading_in

_EXCHANGE2010 = schema_rank("Exchange2010")
ZONE_ELEMENTS = ("StartTimeZone", "EndTimeZone", "MeetingTimeZone")


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _zoned(item: m.Item) -> bool:
    return item.kind in (m.CALENDAR_ITEM, m.MEETING_REQUEST) and item.start is not None


def start_zone_id(item: m.Item) -> str:
    return windows_id(item.time_zone)


def end_zone_id(item: m.Item) -> str:
    return windows_id(item.end_time_zone or item.time_zone)


def _definition(get: Callable[[m.Item], str]) -> Callable[[str], Any]:
    def make(tag: str):
        def write(out, item, reader):
            if _zoned(item):
                zone_id = get(item)
                out.append(f'<t:{tag} Id="{_attr(zone_id)}" Name="{_attr(zone_display_name(zone_id))}"/>')
        return write
    return make


def _meeting_time_zone(tag: str):
    def write(out, item, reader):
        # Exchange2007's element; later schemas have StartTimeZone/EndTimeZone instead.
        if _zoned(item) and schema_rank(reader.schema) < _EXCHANGE2010:
            out.append(meeting_time_zone_xml(start_zone_id(item), tag))
    return write


def _zone_id(get: Callable[[m.Item], str]) -> Callable[[str], Any]:
    def make(tag: str):
        def write(out, item, reader):
            if _zoned(item):
                value = _attr(get(item))
                out.append(f"<t:{tag}>{value}</t:{tag}>" if value else f"<t:{tag}/>")
        return write
    return make


def _time_zone_name(tag: str):
    def write(out, item, reader):
        if _zoned(item):
            value = _attr(zone_display_name(start_zone_id(item)))
            out.append(f"<t:{tag}>{value}</t:{tag}>" if value else f"<t:{tag}/>")
    return write


# (FieldURI, element, writer factory, in Default shape, gate), as items._TABLE
TABLE = [
    ("calendar:TimeZone", "TimeZone", _time_zone_name, False, None),
    ("calendar:MeetingTimeZone", "MeetingTimeZone", _meeting_time_zone, False, None),
    ("calendar:StartTimeZone", "StartTimeZone", _definition(start_zone_id), False, "start_end_time_zone"),
    ("calendar:EndTimeZone", "EndTimeZone", _definition(end_zone_id), False, "start_end_time_zone"),
    ("calendar:StartTimeZoneId", "StartTimeZoneId", _zone_id(start_zone_id), False, "time_zone_ids"),
    ("calendar:EndTimeZoneId", "EndTimeZoneId", _zone_id(end_zone_id), False, "time_zone_ids"),
]


# --- reading -------------------------------------------------------------------------


def read_zones(new: Any, el: etree._Element) -> None:
    """The zones a new CalendarItem names, read before its times (they come later in
    schema order but govern how a zone-less Start/End is read)."""
    for name in ZONE_ELEMENTS:
        child = el.find(T + name)
        if child is None:
            continue
        zone_id = item_zone_id(child)
        if name == "EndTimeZone":
            new.end_time_zone = zone_id
        else:
            new.time_zone = zone_id
    if new.end_time_zone == new.time_zone:
        new.end_time_zone = ""


def zone_for(new: Any, name: str):
    """Where a zone-less Start or End of ``new`` is read (else the request's zone)."""
    zone_id = {"Start": new.time_zone, "End": new.end_time_zone or new.time_zone}.get(name)
    zone = zone_of(zone_id) if zone_id else None
    return reading_in(zone) if zone is not None else nullcontext()


def update_zones(updates: etree._Element) -> dict[str, str]:
    """The zones an UpdateItem's changes set ({"Start": id, "End": id}): a zone-less
    calendar:Start / calendar:End of the same change is read in them."""
    found: dict[str, str] = {}
    for op in updates:
        if not isinstance(op.tag, str) or etree.QName(op).localname != "SetItemField":
            continue
        for name in ZONE_ELEMENTS:
            value = op.find(f"{T}CalendarItem/{T}{name}")
            if value is not None:
                zone_id = item_zone_id(value)
                if name == "EndTimeZone":
                    found["End"] = zone_id
                else:
                    found["Start"] = zone_id
                    found.setdefault("End", zone_id)
    return found


def update_zone_for(zones: dict[str, str], uri: str | None):
    """Where a zone-less value of ``uri`` is read in an update (else the request's zone)."""
    zone_id = {"calendar:Start": zones.get("Start"), "calendar:End": zones.get("End")}.get(uri or "")
    zone = zone_of(zone_id) if zone_id else None
    return reading_in(zone) if zone is not None else nullcontext()


def read_zone_value(el: etree._Element) -> str:
    """UpdateItem's value for calendar:StartTimeZone/EndTimeZone/MeetingTimeZone."""
    return item_zone_id(el)
