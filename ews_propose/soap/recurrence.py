"""Recurrence on the wire: the Recurrence element (patterns and ranges), the fields of
series and occurrences (RecurrenceId, OriginalStart, IsRecurring, CalendarItemType,
FirstOccurrence, LastOccurrence, ModifiedOccurrences, DeletedOccurrences), and the
occurrence ids (OccurrenceItemId, RecurringMasterItemId) clients may send wherever an
ItemId goes. The rules of recurrence are in rules/recurrence.py and rules/occurrences.py;
this module only translates.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from lxml import etree

from ..rules import ids, occurrences
from ..rules import model as m
from ..rules import recurrence as rec
from ..rules.zones import item_zone
from .xml import SchemaViolation, T, format_datetime, int_value, localname

PATTERN_ELEMENTS = {
    "RelativeYearlyRecurrence": rec.RELATIVE_YEARLY,
    "AbsoluteYearlyRecurrence": rec.ABSOLUTE_YEARLY,
    "RelativeMonthlyRecurrence": rec.RELATIVE_MONTHLY,
    "AbsoluteMonthlyRecurrence": rec.ABSOLUTE_MONTHLY,
    "WeeklyRecurrence": rec.WEEKLY,
    "DailyRecurrence": rec.DAILY,
}
PATTERN_NAMES = {v: k for k, v in PATTERN_ELEMENTS.items()}
RANGE_ELEMENTS = {"NoEndRecurrence": rec.NO_END, "EndDateRecurrence": rec.END_DATE,
                  "NumberedRecurrence": rec.NUMBERED}
RANGE_NAMES = {v: k for k, v in RANGE_ELEMENTS.items()}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
CALENDAR_TYPES = {"": "Single", m.RECURRING_MASTER: "RecurringMaster", m.OCCURRENCE: "Occurrence",
                  m.EXCEPTION: "Exception"}


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _text(el: etree._Element, name: str, required: bool = True) -> str | None:
    found = el.find(T + name)
    if found is None:
        if required:
            raise SchemaViolation(f"The element '{localname(el)}' is missing its required child '{name}'.", el)
        return None
    return (found.text or "").strip()


def _date(text: str, el: etree._Element) -> date:
    # xs:date may carry a zone ("2030-01-07Z", "2030-01-07+01:00"); the date is what counts.
    core = text[:10]
    try:
        return date.fromisoformat(core)
    except ValueError:
        raise SchemaViolation(f"The value '{text}' is not a valid xs:date.", el) from None


def read_recurrence(el: etree._Element) -> dict:
    """A Recurrence element as a rules pattern dict (checked by the rules on save)."""
    parts = _children(el)
    if len(parts) != 2:
        raise SchemaViolation("A Recurrence needs a pattern and a range.", el)
    pattern_el, range_el = parts
    name = localname(pattern_el)
    if name not in PATTERN_ELEMENTS:
        # Task regeneration patterns (DailyRegeneration, ...) have no calendar meaning.
        kind = f"unsupported:{name}"
    else:
        kind = PATTERN_ELEMENTS[name]
    range_name = localname(range_el)
    if range_name not in RANGE_ELEMENTS:
        raise SchemaViolation(f"The element '{range_name}' is not a recurrence range.", range_el)
    start_text = _text(range_el, "StartDate")
    assert start_text is not None
    p = rec.Pattern(kind=kind, start_date=_date(start_text, range_el), range=RANGE_ELEMENTS[range_name])
    interval = _text(pattern_el, "Interval", required=False)
    if interval is not None:
        p.interval = int_value(interval, "element 'Interval'", pattern_el)
    elif kind in (rec.DAILY, rec.WEEKLY, rec.ABSOLUTE_MONTHLY, rec.RELATIVE_MONTHLY):
        raise SchemaViolation(f"The element '{name}' is missing its required child 'Interval'.", pattern_el)
    days = _text(pattern_el, "DaysOfWeek", required=False)
    if days is not None:
        p.days_of_week = days.split()
    first_day = _text(pattern_el, "FirstDayOfWeek", required=False)
    if first_day:
        p.first_day_of_week = first_day
    day_of_month = _text(pattern_el, "DayOfMonth", required=False)
    if day_of_month is not None:
        p.day_of_month = int_value(day_of_month, "element 'DayOfMonth'", pattern_el)
    index = _text(pattern_el, "DayOfWeekIndex", required=False)
    if index is not None:
        p.day_index = index
    month = _text(pattern_el, "Month", required=False)
    if month is not None:
        if month not in MONTHS:
            raise SchemaViolation(f"The value '{month}' is not a valid Month.", pattern_el)
        p.month = MONTHS.index(month) + 1
    if range_name == "EndDateRecurrence":
        end_text = _text(range_el, "EndDate")
        assert end_text is not None
        p.end_date = _date(end_text, range_el)
    elif range_name == "NumberedRecurrence":
        count = _text(range_el, "NumberOfOccurrences")
        p.count = int_value(count, "element 'NumberOfOccurrences'", range_el)
    return p.to_dict()


def _zoned_date(day: date, zone: tzinfo) -> str:
    """An xs:date as Exchange writes a range's dates: with the organizer zone's offset."""
    offset = zone.utcoffset(datetime.combine(day, time(12)))
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return day.isoformat() + "Z"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{day.isoformat()}{sign}{hours:02d}:{rest:02d}"


def recurrence_xml(data: dict, zone_id: str = "") -> str:
    p = rec.Pattern.from_dict(data)
    zone = item_zone(zone_id)
    name = PATTERN_NAMES[p.kind]
    out = [f"<t:Recurrence><t:{name}>"]
    if p.kind in (rec.DAILY, rec.WEEKLY, rec.ABSOLUTE_MONTHLY, rec.RELATIVE_MONTHLY):
        out.append(f"<t:Interval>{p.interval}</t:Interval>")
    if p.kind in (rec.RELATIVE_YEARLY, rec.RELATIVE_MONTHLY):
        out.append(f"<t:DaysOfWeek>{p.days_of_week[0]}</t:DaysOfWeek><t:DayOfWeekIndex>{p.day_index}"
                   "</t:DayOfWeekIndex>")
    if p.kind == rec.WEEKLY:
        out.append(f"<t:DaysOfWeek>{' '.join(p.days_of_week)}</t:DaysOfWeek>"
                   f"<t:FirstDayOfWeek>{p.first_day_of_week}</t:FirstDayOfWeek>")
    if p.kind in (rec.ABSOLUTE_YEARLY, rec.ABSOLUTE_MONTHLY):
        out.append(f"<t:DayOfMonth>{p.day_of_month}</t:DayOfMonth>")
    if p.kind in (rec.RELATIVE_YEARLY, rec.ABSOLUTE_YEARLY):
        out.append(f"<t:Month>{MONTHS[p.month - 1]}</t:Month>")
    range_name = RANGE_NAMES[p.range]
    out.append(f"</t:{name}><t:{range_name}><t:StartDate>{_zoned_date(p.start_date, zone)}</t:StartDate>")
    if p.range == rec.END_DATE and p.end_date is not None:
        out.append(f"<t:EndDate>{_zoned_date(p.end_date, zone)}</t:EndDate>")
    if p.range == rec.NUMBERED:
        out.append(f"<t:NumberOfOccurrences>{p.count}</t:NumberOfOccurrences>")
    out.append(f"</t:{range_name}></t:Recurrence>")
    return "".join(out)


# --- ids -----------------------------------------------------------------------------

ID_ELEMENTS = ("ItemId", "OccurrenceItemId", "RecurringMasterItemId")


def item_id_of(el: etree._Element) -> tuple[str, str | None]:
    """(id, ChangeKey) of an ItemId, OccurrenceItemId or RecurringMasterItemId."""
    name = localname(el)
    if name == "ItemId":
        item_id = el.get("Id")
        if item_id is None:
            raise SchemaViolation("The required attribute 'Id' is missing.", el)
        return item_id, el.get("ChangeKey")
    if name == "OccurrenceItemId":
        master, index = el.get("RecurringMasterId"), el.get("InstanceIndex")
        if master is None or index is None:
            raise SchemaViolation("An OccurrenceItemId needs RecurringMasterId and InstanceIndex.", el)
        number = int_value(index, "attribute 'InstanceIndex'", el)
        if ids.is_item_id(master) and number >= 1:
            return occurrences.occurrence_id(master, min(number, 2**31 - 1)), el.get("ChangeKey")
        # A bad index is the rules' to refuse: index 0 names no occurrence of the series.
        return (occurrences.occurrence_id(master, 0) if ids.is_item_id(master) else master), el.get("ChangeKey")
    if name == "RecurringMasterItemId":
        occurrence = el.get("OccurrenceId")
        if occurrence is None:
            raise SchemaViolation("A RecurringMasterItemId needs an OccurrenceId.", el)
        parsed = occurrences.parse_occurrence_id(occurrence)
        return (parsed[0] if parsed else occurrence), el.get("ChangeKey")
    raise SchemaViolation(f"The element '{name}' is not an item id.", el)


# --- writers (soap/items/fields.py's conventions) --------------------------------------------------


def _is_calendar(item: m.Item) -> bool:
    return item.kind in (m.CALENDAR_ITEM, m.MEETING_REQUEST)


def _recurrence_id(tag):
    def write(out, item, reader):
        if item.recurrence_id is not None:
            out.append(f"<t:{tag}>{format_datetime(item.recurrence_id)}</t:{tag}>")
    return write


def _original_start(tag):
    def write(out, item, reader):
        if item.kind == m.CALENDAR_ITEM and item.master_id and item.recurrence_id is not None:
            out.append(f"<t:{tag}>{format_datetime(item.recurrence_id)}</t:{tag}>")
    return write


def _is_recurring(tag):
    def write(out, item, reader):
        if _is_calendar(item):
            value = item.calendar_type in (m.OCCURRENCE, m.EXCEPTION)
            out.append(f"<t:{tag}>{'true' if value else 'false'}</t:{tag}>")
    return write


def _calendar_item_type(tag):
    def write(out, item, reader):
        out.append(f"<t:{tag}>{CALENDAR_TYPES.get(item.calendar_type, 'Single')}</t:{tag}>")
    return write


def _recurrence(tag):
    def write(out, item, reader):
        if _is_calendar(item) and item.recurrence and not item.master_id:
            out.append(recurrence_xml(item.recurrence, item.time_zone))
    return write


def _occurrence_info(out: list[str], tag: str, occ: m.Item) -> None:
    assert occ.start is not None and occ.end is not None and occ.recurrence_id is not None
    out.append(f'<t:{tag}><t:ItemId Id="{occ.id}" ChangeKey="{occ.change_key}"/>'
               f"<t:Start>{format_datetime(occ.start)}</t:Start><t:End>{format_datetime(occ.end)}</t:End>"
               f"<t:OriginalStart>{format_datetime(occ.recurrence_id)}</t:OriginalStart></t:{tag}>")


def _first_or_last(which: int):
    def make(tag):
        def write(out, item, reader):
            if item.kind == m.CALENDAR_ITEM and occurrences.is_master(item) and item.start is not None:
                found = occurrences.first_and_last(item)[which]
                if found is not None:
                    _occurrence_info(out, tag, found)
        return write
    return make


def _modified(tag):
    def write(out, item, reader):
        if item.kind != m.CALENDAR_ITEM or not occurrences.is_master(item) or not item.modified_occurrences:
            return
        found = [occurrences.occurrence_at(item, m.parse_utc(e["original_start"])) for e in item.modified_occurrences]
        found = [f for f in found if f is not None]
        if found:
            out.append(f"<t:{tag}>")
            for occ in found:
                _occurrence_info(out, "Occurrence", occ)
            out.append(f"</t:{tag}>")
    return write


def _deleted(tag):
    def write(out, item, reader):
        if item.kind == m.CALENDAR_ITEM and occurrences.is_master(item) and item.deleted_occurrences:
            out.append(f"<t:{tag}>" + "".join(
                f"<t:DeletedOccurrence><t:Start>{format_datetime(m.parse_utc(s))}</t:Start></t:DeletedOccurrence>"
                for s in item.deleted_occurrences) + f"</t:{tag}>")
    return write


# (FieldURI, element, writer factory, in Default shape, gate), as items._TABLE. The
# IsRecurring and CalendarItemType rows replace soap/items/fields.py's constant ones (same FieldURI).
TABLE = [
    ("calendar:RecurrenceId", "RecurrenceId", _recurrence_id, False, None),
    ("calendar:OriginalStart", "OriginalStart", _original_start, False, None),
    ("calendar:IsRecurring", "IsRecurring", _is_recurring, True, None),
    ("calendar:CalendarItemType", "CalendarItemType", _calendar_item_type, True, None),
    ("calendar:Recurrence", "Recurrence", _recurrence, False, None),
    ("calendar:FirstOccurrence", "FirstOccurrence", _first_or_last(0), False, None),
    ("calendar:LastOccurrence", "LastOccurrence", _first_or_last(1), False, None),
    ("calendar:ModifiedOccurrences", "ModifiedOccurrences", _modified, False, None),
    ("calendar:DeletedOccurrences", "DeletedOccurrences", _deleted, False, None),
]
