"""FindItem's Restriction and SortOrder, as a predicate and a sort key over items.

Supports And / Or / Not, the six comparisons, Contains and Exists over the
fields in ``QUERY_FIELDS``. Anything else is answered ErrorUnsupportedQueryFilter or
ErrorUnsupportedPathForQuery / ErrorUnsupportedPathForSortGroup, as Exchange does for
what it cannot search.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from ..rules.model import Item
from . import written_fields
from .errors import ItemError
from .items.vocabulary import FREE_BUSY, REQUEST_TYPES, RESPONSE_TYPES
from .xml import SchemaViolation, T, datetime_value, localname

Predicate = Callable[[Item], bool]


def _sender(item: Item) -> str | None:
    return item.sender.smtp if item.sender else None


def _organizer(item: Item) -> str | None:
    return item.organizer.smtp if item.organizer else None


def _response_requested(item: Item) -> bool:
    value = item.message_fields.get("IsResponseRequested")
    if value is None:
        return item.is_response_requested if item.kind in ("calendar_item", "meeting_request") else False
    return value == "true"


# FieldURI -> (value getter, kind of value: str | datetime | bool | int)
QUERY_FIELDS: dict[str, tuple[Callable[[Item], object], str]] = {
    "item:Subject": (lambda i: i.subject, "str"),
    "item:Categories": (lambda i: i.categories, "strlist"),
    "item:InReplyTo": (lambda i: i.in_reply_to, "str"),
    # Exchange accepts these in a restriction, and nothing matches (it does not search them)
    "item:ReminderDueBy": (lambda i: None, "datetime"),
    "message:ConversationIndex": (lambda i: None, "str"),
    "message:InternetMessageId": (lambda i: i.message_fields.get("InternetMessageId"), "str"),
    "message:References": (lambda i: i.message_fields.get("References"), "str"),
    "message:IsReadReceiptRequested": (lambda i: i.message_fields.get("IsReadReceiptRequested") == "true", "bool"),
    "message:IsResponseRequested": (lambda i: _response_requested(i), "bool"),
    "message:IsDeliveryReceiptRequested": (
        lambda i: i.message_fields.get("IsDeliveryReceiptRequested") == "true", "bool"),
    "item:Culture": (lambda i: i.culture or "en-US", "str"),
    "item:ReminderIsSet": (lambda i: i.reminder_is_set, "bool"),
    "item:ReminderMinutesBeforeStart": (lambda i: i.reminder_minutes, "int"),
    "item:ItemClass": (lambda i: i.item_class, "str"),
    "item:Body": (lambda i: i.body, "str"),
    "item:DateTimeReceived": (lambda i: i.received, "datetime"),
    "item:DateTimeSent": (lambda i: i.received, "datetime"),
    "item:DateTimeCreated": (lambda i: i.created, "datetime"),
    "item:Importance": (lambda i: i.importance, "str"),
    "item:Sensitivity": (lambda i: i.sensitivity, "str"),
    "item:IsDraft": (lambda i: i.is_draft, "bool"),
    "message:IsRead": (lambda i: i.is_read, "bool"),
    "message:From": (_sender, "str"),
    "message:Sender": (_sender, "str"),
    "calendar:Start": (lambda i: i.start, "datetime"),
    "calendar:End": (lambda i: i.end, "datetime"),
    "calendar:UID": (lambda i: i.uid, "str"),
    "calendar:Location": (lambda i: i.location, "str"),
    "calendar:IsMeeting": (lambda i: i.is_meeting, "bool"),
    "calendar:IsCancelled": (lambda i: i.is_cancelled, "bool"),
    "calendar:IsAllDayEvent": (lambda i: i.is_all_day, "bool"),
    "calendar:Organizer": (_organizer, "str"),
    "calendar:MyResponseType": (lambda i: RESPONSE_TYPES.get(i.my_response or ""), "str"),
    "calendar:LegacyFreeBusyStatus": (lambda i: FREE_BUSY.get(i.free_busy), "str"),
    "calendar:AppointmentSequenceNumber": (lambda i: i.sequence, "int"),
    "calendar:AllowNewTimeProposal": (lambda i: i.allow_new_time_proposal, "bool"),
    "meeting:ResponseType": (lambda i: RESPONSE_TYPES.get(i.response or ""), "str"),
    "meeting:IsOutOfDate": (lambda i: i.is_out_of_date, "bool"),
    "meeting:HasBeenProcessed": (lambda i: i.has_been_processed, "bool"),
    "meetingRequest:MeetingRequestType": (lambda i: REQUEST_TYPES.get(i.request_type or ""), "str"),
    **written_fields.QUERY,
}
_COMPARISONS = {
    "IsEqualTo": operator.eq,
    "IsNotEqualTo": operator.ne,
    "IsGreaterThan": operator.gt,
    "IsGreaterThanOrEqualTo": operator.ge,
    "IsLessThan": operator.lt,
    "IsLessThanOrEqualTo": operator.le,
}
_EXPRESSIONS = frozenset({"And", "Or", "Not", "Exists", "Contains", "Excludes", *_COMPARISONS})


def _field(el: etree._Element, fields: dict | None = None) -> tuple[str, Callable[[Item], object], str]:
    fields = QUERY_FIELDS if fields is None else fields
    path = next((c for c in el if isinstance(c.tag, str)), None)
    if path is None:
        raise SchemaViolation(f"'{localname(el)}' needs a property path.", el)
    if path.tag == T + "ExtendedFieldURI" and fields is QUERY_FIELDS:
        from .extended import query_field
        getter, kind = query_field(path)
        return "extended", getter, kind
    if path.tag != T + "FieldURI":
        raise ItemError("ErrorUnsupportedPathForQuery",
                        f"Searching by {localname(path)} is not supported by this emulator.")
    uri = path.get("FieldURI") or ""
    if uri not in fields:
        raise ItemError("ErrorUnsupportedPathForQuery", f"Searching by {uri} is not supported by this emulator.")
    getter, kind = fields[uri]
    return uri, getter, kind


def _constant(value: str, kind: str, el: etree._Element) -> object:
    if kind == "datetime":
        return datetime_value(value, "a Constant", el)
    if kind == "bool":
        if value not in ("true", "false", "1", "0"):
            raise SchemaViolation(f"'{value}' is not a valid xs:boolean.", el)
        return value in ("true", "1")
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            raise SchemaViolation(f"'{value}' is not a valid integer.", el) from None
    if kind == "number":
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise SchemaViolation(f"'{value}' is not a valid number.", el) from None
    return value


def _constant_of(el: etree._Element) -> tuple[etree._Element, str]:
    holder = el.find(T + "FieldURIOrConstant")
    constant = (holder if holder is not None else el).find(T + "Constant")
    if constant is None or constant.get("Value") is None:
        raise ItemError("ErrorUnsupportedQueryFilter",
                        "Only comparisons with a Constant value are supported by this emulator.")
    return constant, constant.get("Value")


# Exchange's own bound (ErrorRestrictionTooLong): at most 255 search expressions.
MAX_RESTRICTION_NODES = 255


def parse_restriction(el: etree._Element, fields: dict | None = None) -> Predicate:
    """A Restriction as a predicate; ``fields`` (FieldURI -> (getter, kind)) defaults to
    the item fields above (FindFolder passes folder fields)."""
    nodes = sum(1 for c in el.iter() if isinstance(c.tag, str) and localname(c) in _EXPRESSIONS)
    if nodes > MAX_RESTRICTION_NODES:
        raise ItemError("ErrorRestrictionTooLong", f"The restriction has {nodes} search expressions; "
                        f"at most {MAX_RESTRICTION_NODES} are allowed.")
    expressions = [c for c in el if isinstance(c.tag, str)]
    if len(expressions) != 1:
        raise SchemaViolation("A Restriction holds exactly one search expression.", el)
    return _expression(expressions[0], QUERY_FIELDS if fields is None else fields)


def _expression(el: etree._Element, fields: dict) -> Predicate:
    name = localname(el)
    children = [c for c in el if isinstance(c.tag, str)]
    if name in ("And", "Or"):
        parts = [_expression(c, fields) for c in children]
        combine = all if name == "And" else any
        return lambda item: combine(p(item) for p in parts)
    if name == "Not":
        if len(children) != 1:
            raise SchemaViolation("Not holds exactly one search expression.", el)
        inner = _expression(children[0], fields)
        return lambda item: not inner(item)
    if name == "Exists":
        _, getter, _ = _field(el, fields)
        return lambda item: getter(item) not in (None, "", [])
    if name in _COMPARISONS:
        _, getter, kind = _field(el, fields)
        constant_el, text = _constant_of(el)
        compare = _COMPARISONS[name]
        if kind == "strlist":
            # A multi-valued property matches when one of its values does (IsNotEqualTo: none).
            needle = text.lower()
            if compare is operator.ne:
                return lambda item: all(str(v).lower() != needle for v in getter(item) or [])
            return lambda item: any(compare(str(v).lower(), needle) for v in getter(item) or [])
        value = _constant(text, kind, constant_el)

        def predicate(item: Item) -> bool:
            actual = getter(item)
            if actual is None:
                return compare is operator.ne
            if kind == "str":
                return compare(str(actual).lower(), str(value).lower())
            return compare(actual, value)
        return predicate
    if name == "Contains":
        _, getter, kind = _field(el, fields)
        if kind not in ("str", "strlist"):
            raise ItemError("ErrorUnsupportedQueryFilter", f"{name} works on text properties only.")
        constant_el, text = _constant_of(el)
        mode = el.get("ContainmentMode", "Substring")
        ignore_case = "IgnoreCase" in el.get("ContainmentComparison", "Exact")
        needle = text.lower() if ignore_case else text

        def matches(hay: str) -> bool:
            hay = hay.lower() if ignore_case else hay
            if mode == "FullString":
                return hay == needle
            if mode in ("Prefixed", "PrefixOnWords"):
                return hay.startswith(needle) or (mode == "PrefixOnWords" and f" {needle}" in hay)
            return needle in hay

        if kind == "strlist":
            return lambda item: any(matches(str(v)) for v in getter(item) or [])
        return lambda item: matches(str(getter(item) or ""))
    raise ItemError("ErrorUnsupportedQueryFilter", f"The search expression {name} is not supported by this emulator.")


def parse_sort(el: etree._Element, fields: dict | None = None) -> Callable[[list[Item]], list[Item]]:
    """SortOrder: FieldOrder elements, most significant first."""
    orders = []
    for order in el.findall(T + "FieldOrder"):
        try:
            uri, getter, kind = _field(order, fields)
            if kind == "strlist":  # a multi-valued property sorts by its first value, an empty one first
                getter, kind = _first_value(getter), "str"
        except ItemError as exc:
            raise ItemError("ErrorUnsupportedPathForSortGroup", exc.message) from None
        descending = order.get("Order", "Ascending") == "Descending"
        orders.append((getter, kind, descending))

    def sort(items: list[Item]) -> list[Item]:
        # Stable sorts applied least significant first; missing values sort first.
        for getter, kind, descending in reversed(orders):
            items = sorted(items, key=lambda i: _sort_key(getter(i), kind), reverse=descending)
        return items
    return sort


def _first_value(getter: Callable[[Item], object]) -> Callable[[Item], object]:
    def first(item: Item) -> object:
        values = getter(item) or []
        return values[0] if values else None  # type: ignore[index]
    return first


def _sort_key(value: object, kind: str) -> tuple[int, object]:
    if value is None:
        return (0, "")
    if kind == "str":
        return (1, str(value).lower())
    if isinstance(value, datetime):
        return (1, value.timestamp())
    return (1, value)
