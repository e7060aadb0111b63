"""Extended (MAPI) properties on the wire: ExtendedFieldURI by PropertyTag, by
PropertySetId or DistinguishedPropertySetId with PropertyName or PropertyId; every
PropertyType, arrays included. Values are kept as their wire text.

A property is named by a key independent of spelling: a tag by its number, a named
property by its set's GUID (a distinguished set is its well-known GUID) and its name or
id. Answers echo the ExtendedFieldURI the client asked with.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from lxml import etree

from ..rules.model import Item
from .errors import ItemError
from .xml import SchemaViolation, T, datetime_value, esc, esc_attr, tagged

ATTRIBUTES = ("DistinguishedPropertySetId", "PropertySetId", "PropertyTag", "PropertyName", "PropertyId",
              "PropertyType")
_SCALARS = ("ApplicationTime", "Binary", "Boolean", "CLSID", "Currency", "Double", "Error", "Float", "Integer",
            "Long", "Null", "Object", "Short", "SystemTime", "String")
TYPES = frozenset(_SCALARS) | frozenset(t + "Array" for t in _SCALARS if t not in ("Boolean", "Error", "Null"))
# MS-OXPROPS: the well-known property sets
DISTINGUISHED_SETS = {
    "Meeting": "6ed8da90-450b-101b-98da-00aa003f1305",
    "Appointment": "00062002-0000-0000-c000-000000000046",
    "Common": "00062008-0000-0000-c000-000000000046",
    "PublicStrings": "00020329-0000-0000-c000-000000000046",
    "Address": "00062004-0000-0000-c000-000000000046",
    "InternetHeaders": "00020386-0000-0000-c000-000000000046",
    "CalendarAssistant": "11000e07-b51b-40d6-af21-caa85edab1d0",
    "UnifiedMessaging": "4442858e-a9e3-4e80-b900-317a210cc15b",
    "Task": "00062003-0000-0000-c000-000000000046",
    "Sharing": "00062040-0000-0000-c000-000000000046",
}
_INTEGERS = ("Integer", "Long", "Short")
_NUMBERS = (*_INTEGERS, "Double", "Float", "Currency", "ApplicationTime")

Uri = tuple[tuple[str, str], ...]


def read_uri(el: etree._Element) -> tuple[str, Uri]:
    """(key, attributes) of an ExtendedFieldURI."""
    uri = tuple((name, el.get(name)) for name in ATTRIBUTES if el.get(name) is not None)
    attrs = dict(uri)
    kind = attrs.get("PropertyType")
    if kind not in TYPES:
        raise SchemaViolation(f"The value '{kind}' is invalid for the PropertyType attribute.", el)
    if "PropertyTag" in attrs:
        if {"PropertySetId", "DistinguishedPropertySetId", "PropertyName", "PropertyId"} & set(attrs):
            raise ItemError("ErrorInvalidExtendedProperty", "A PropertyTag stands alone in an ExtendedFieldURI.")
        text = attrs["PropertyTag"].strip()
        try:
            tag = int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            raise SchemaViolation(f"The PropertyTag '{text}' is not a number.", el) from None
        if not 0 < tag <= 0xFFFF:
            raise ItemError("ErrorInvalidExtendedProperty", f"The PropertyTag '{text}' is out of range.")
        return f"tag:{tag:#06x}", uri
    if "DistinguishedPropertySetId" in attrs:
        if attrs["DistinguishedPropertySetId"] not in DISTINGUISHED_SETS:
            raise SchemaViolation(f"The value '{attrs['DistinguishedPropertySetId']}' is invalid for the "
                                  "DistinguishedPropertySetId attribute.", el)
        set_id = DISTINGUISHED_SETS[attrs["DistinguishedPropertySetId"]]
    elif "PropertySetId" in attrs:
        set_id = attrs["PropertySetId"].strip().lower()
    else:
        raise ItemError("ErrorInvalidExtendedProperty", "An ExtendedFieldURI needs a PropertyTag or a property set.")
    if "PropertyName" in attrs:
        return f"name:{set_id}:{attrs['PropertyName']}", uri
    if "PropertyId" in attrs:
        return f"id:{set_id}:{int(attrs['PropertyId'])}", uri
    raise ItemError("ErrorInvalidExtendedProperty", "A property set needs a PropertyName or a PropertyId.")


def read_property(el: etree._Element) -> dict:
    """An ExtendedProperty element (CreateItem, SetItemField) as a stored property."""
    uri_el = el.find(T + "ExtendedFieldURI")
    if uri_el is None:
        raise SchemaViolation("An ExtendedProperty needs an ExtendedFieldURI.", el)
    key, uri = read_uri(uri_el)
    kind = dict(uri)["PropertyType"]
    values_el = el.find(T + "Values")
    if values_el is not None:
        values = [v.text or "" for v in values_el.findall(T + "Value")]
        array = True
    else:
        value = el.find(T + "Value")
        if value is None:
            raise SchemaViolation("An ExtendedProperty needs a Value or Values.", el)
        values, array = [value.text or ""], False
    if array != kind.endswith("Array"):
        raise ItemError("ErrorInvalidExtendedPropertyValue",
                        f"A property of type {kind} takes {'Values' if kind.endswith('Array') else 'a Value'}.")
    return {"key": key, "type": kind, "values": values, "array": array}


def merge(current: list[dict], prop: dict | None, key: str) -> list[dict]:
    """``current`` with the property ``key`` replaced by ``prop`` (or removed when None)."""
    out = [p for p in current if p["key"] != key]
    if prop is not None:
        out.append(prop)
    return out


def write_properties(out: list[str], item: Item, wanted: tuple[tuple[str, Uri], ...]) -> None:
    have = {p["key"]: p for p in item.extended}
    for key, uri in wanted:
        prop = have.get(key)
        if prop is None:
            continue
        attrs = "".join(f' {name}="{esc_attr(value)}"' for name, value in uri)
        out.append(f"<t:ExtendedProperty><t:ExtendedFieldURI{attrs}/>")
        if prop["array"]:
            out.append("<t:Values>" + "".join(tagged("Value", esc(v)) for v in prop["values"])
                       + "</t:Values>")
        else:
            out.append(tagged("Value", esc(prop['values'][0])))
        out.append("</t:ExtendedProperty>")


def query_field(el: etree._Element) -> tuple[Callable[[Item], object], str]:
    """A Restriction / SortOrder path over an extended property: (getter, kind)."""
    key, uri = read_uri(el)
    kind = dict(uri)["PropertyType"]
    if kind.endswith("Array"):  # matches when one of the values does, compared as wire text
        return (lambda item: _values(item, key) or []), "strlist"
    if kind in ("Object", "Error", "Null"):
        raise ItemError("ErrorUnsupportedPathForQuery", f"Searching by a {kind} property is not supported.")
    convert: Callable[[str], object]
    if kind in _NUMBERS:
        value_kind, convert = "number", _number
    elif kind == "Boolean":
        value_kind, convert = "bool", lambda v: v.strip().lower() in ("true", "1")
    elif kind == "SystemTime":
        value_kind, convert = "datetime", lambda v: datetime_value(v, "a SystemTime value")
    else:
        value_kind, convert = "str", lambda v: v

    def getter(item: Item) -> object:
        values = _values(item, key)
        return convert(values[0]) if values else None
    return getter, value_kind


def _values(item: Item, key: str) -> list[str] | None:
    for p in item.extended:
        if p["key"] == key:
            return p["values"]
    return None


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None
