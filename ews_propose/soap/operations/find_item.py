"""FindItem: a folder's items by page (IndexedPageItemView) or by time (CalendarView)."""

from __future__ import annotations

from datetime import timedelta

from ...rules import budget
from ...rules import model as m
from ...rules.engine import View
from .. import raw
from ..aqs import parse_query_string
from ..context import EwsRequest, Responses
from ..errors import ItemError
from ..items.shapes import parse_shape
from ..items.text import items_text
from ..query import parse_restriction, parse_sort
from ..xml import M, SchemaViolation, datetime_value, int_value, parse_enum, sub
from . import operation
from ._folders import folder_ids, resolve_folder

TRAVERSALS = ("Shallow", "SoftDeleted", "Associated")
BASE_POINTS = ("Beginning", "End")
MAX_CALENDAR_VIEW = timedelta(days=2 * 365 + 1)  # "two years"


def FindItem(req: EwsRequest, request):
    traversal = parse_enum(request, request.get("Traversal"), TRAVERSALS, "the Traversal attribute")
    shape = parse_shape(request.find(M + "ItemShape"))
    paging = request.find(M + "IndexedPageItemView")
    calendar = request.find(M + "CalendarView")
    query = _Query()
    try:
        query.read(request)
    except ItemError as exc:
        query.error = exc  # the same answer for every folder asked
    out = Responses("FindItem")
    for ident in folder_ids(request.find(M + "ParentFolderIds"), "ParentFolderIds"):
        try:
            if query.error:
                raise query.error
            folder = resolve_folder(req, ident)
            if traversal != "Shallow":
                items, total, offset, last = [], 0, (None if calendar is not None else 0), True
            elif calendar is not None:
                items, total, last = _calendar_view(req, folder, calendar, query)
                offset = None
            else:
                items, total, offset, last = _paged(req, folder, paging, query)
        except ItemError as exc:
            out.failure(exc)
            continue
        msg = out.success()
        root = sub(msg, M + "RootFolder")
        if offset is not None:
            root.set("IndexedPagingOffset", str(offset + len(items)))
        root.set("TotalItemsInView", str(total))
        root.set("IncludesLastItemInRange", "true" if last else "false")
        raw.append(root, items_text(items, shape, req.reader))
    return out.root


class _Query:
    """Restriction and SortOrder; without them, the store pages by itself."""

    def __init__(self) -> None:
        self.predicate = None
        self.sort = None
        self.error: ItemError | None = None

    def read(self, request) -> None:
        restriction = request.find(M + "Restriction")
        if restriction is not None:
            self.predicate = parse_restriction(restriction)
        query_string = request.find(M + "QueryString")
        if query_string is not None:
            aqs = parse_query_string(query_string.text or "")
            restricted = self.predicate
            self.predicate = aqs if restricted is None else (lambda item: restricted(item) and aqs(item))
        order = request.find(M + "SortOrder")
        if order is not None:
            self.sort = parse_sort(order)

    @property
    def active(self) -> bool:
        return self.predicate is not None or self.sort is not None

    def apply(self, items):
        if self.predicate is not None:
            kept = []
            for n, item in enumerate(items):
                if n % 256 == 255:  # a large restriction over a large folder: within the budget
                    budget.check()
                if self.predicate(item):
                    kept.append(item)
            items = kept
        if self.sort is not None:
            items = self.sort(items)
        return items


def _paged(req: EwsRequest, folder: str, view, query: _Query):
    offset, limit, from_end = 0, None, False
    if view is not None:
        offset = parse_int_attr(view, "Offset", required=True)
        if view.get("MaxEntriesReturned") is not None:
            limit = parse_int_attr(view, "MaxEntriesReturned", low=1)
        from_end = parse_enum(view, view.get("BasePoint", "Beginning"), BASE_POINTS, "BasePoint") == "End"
    if query.active or from_end:
        everything = query.apply(req.rules.list_folder(req.actor, folder, View())[0])
        total = len(everything)
        if from_end:
            stop = max(total - offset, 0)
            items = everything[max(stop - (limit or stop), 0):stop]
        else:
            items = everything[offset: None if limit is None else offset + limit]
    else:
        items, total = req.rules.list_folder(req.actor, folder, View(offset, limit))
    last = offset + len(items) >= total
    return items, total, offset, last


def _calendar_view(req: EwsRequest, folder: str, view, query: _Query):
    folder_class = req.folders.get(req.actor, folder).folder_class or ""
    if folder != m.CALENDAR and not folder_class.startswith("IPF.Appointment"):
        raise ItemError("ErrorCalendarFolderIsInvalidForCalendarView",
                        "A CalendarView can only be used on a calendar folder.")
    start_text, end_text = view.get("StartDate"), view.get("EndDate")
    if start_text is None or end_text is None:
        raise SchemaViolation("CalendarView needs the StartDate and EndDate attributes.", view)
    start = _attr_datetime(view, "StartDate")
    end = _attr_datetime(view, "EndDate")
    if start == m.EARLIEST or end == m.LATEST:  # Exchange refuses DateTime.MinValue / MaxValue here
        raise ItemError("ErrorValueOutOfRange", "A CalendarView may not start at 0001-01-01T00:00:00 "
                        "or end at 9999-12-31T23:59:59.")
    if end < start:
        raise ItemError("ErrorCalendarEndDateIsEarlierThanStartDate",
                        "The EndDate of the CalendarView is earlier than its StartDate.")
    if end - start > MAX_CALENDAR_VIEW:
        raise ItemError("ErrorCalendarViewRangeTooBig",
                        "The CalendarView range may be at most two years.")
    if query.predicate is not None:
        raise ItemError("ErrorInvalidOperation", "A CalendarView cannot be combined with a Restriction; "
                        "filter the items it returns instead.")
    # Exchange's CalendarView also returns an item that ends exactly at its StartDate.
    items = query.apply(req.rules.calendar_view(req.actor, folder, start, end, ending_at_start=True))
    total = len(items)
    if view.get("MaxEntriesReturned") is not None:
        items = items[: parse_int_attr(view, "MaxEntriesReturned", low=1)]
    return items, total, len(items) == total


def _attr_datetime(el, name):
    return datetime_value(el.get(name), f"attribute '{name}'", el)


def parse_int_attr(el, name, required=False, low=0):
    value = el.get(name)
    if value is None:
        if required:
            raise SchemaViolation(f"The required attribute '{name}' is missing.", el)
        return None
    return int_value(value, f"attribute '{name}'", el, low=low)


service = operation(FindItem)
