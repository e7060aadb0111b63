"""ItemShape as a request gives it: the base shape, the FieldURIs added to it and the
extended properties asked for."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ..extended import read_uri
from ..xml import SchemaViolation, T, parse_enum
from .fields import Field


@dataclass(frozen=True)
class Shape:
    base: str  # IdOnly | Default | AllProperties
    extra: frozenset[str] = frozenset()
    # extended properties asked for: (key, the ExtendedFieldURI's attributes), in request order
    extended: tuple = ()

    def wants(self, f: Field) -> bool:
        if f.uri == "item:ExtendedProperty":
            return bool(self.extended)  # never part of a base shape, as in Exchange
        if f.uri == "item:MimeContent":
            return f.uri in self.extra  # only when asked for, as in Exchange
        if f.uri == "item:ItemId" or f.uri in self.extra:
            return True
        if self.base == "AllProperties":
            return True
        if self.base == "Default":
            return f.default
        return False


ID_ONLY = Shape("IdOnly")
BASE_SHAPES = ("IdOnly", "Default", "AllProperties")


def parse_shape(el: etree._Element | None) -> Shape:
    """ItemShape. FieldURIs this server does not model are ignored, never refused."""
    if el is None:
        raise SchemaViolation("The element 'ItemShape' is required.")
    base_el = el.find(T + "BaseShape")
    if base_el is None:
        raise SchemaViolation("The element 'ItemShape' is missing its required child 'BaseShape'.", el)
    base = parse_enum(base_el, base_el.text, BASE_SHAPES, "BaseShape")
    extra: set[str] = set()
    extended: dict[str, tuple] = {}
    if (el.findtext(T + "IncludeMimeContent") or "").strip() in ("true", "1"):
        extra.add("item:MimeContent")
    props = el.find(T + "AdditionalProperties")
    if props is not None:
        for child in props:
            if child.tag == T + "FieldURI":
                uri = child.get("FieldURI")
                if not uri:
                    raise SchemaViolation("The required attribute 'FieldURI' is missing.", child)
                extra.add(uri)
            elif child.tag == T + "ExtendedFieldURI":
                key, attrs = read_uri(child)
                extended.setdefault(key, attrs)
    return Shape(base, frozenset(extra), tuple(extended.items()))
