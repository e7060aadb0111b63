"""Elements kept as written: an element of the types namespace as plain values
(``[name, attributes, text, children]``) for the store, and back."""

from __future__ import annotations

from lxml import etree

from .xml import T, localname, sub


def to_tree(el: etree._Element | None):
    if el is None:
        return None
    return [localname(el), dict(el.attrib), (el.text or "").strip() or None,
            [to_tree(c) for c in el if isinstance(c.tag, str)]]


def from_tree(parent: etree._Element, tree) -> etree._Element:
    name, attrs, text, children = tree
    el = sub(parent, T + name, text, **attrs)
    for child in children:
        from_tree(el, child)
    return el
