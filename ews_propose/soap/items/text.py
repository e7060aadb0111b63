"""Items written into answers: for each item kind, shape, schema version and the
features open to it, a plan (the field table's writers in wire order, put together
into one function), and the item's element as text or as an lxml element."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from lxml import etree

from ...rules.ids import folder_id
from ...rules.model import Item
from ...versions import Build, gate, schema_has_element
from ..extended import write_properties
from ..xml import TYPES_NS, T, esc, esc_attr, format_datetime, sub
from .fields import FIELDS, WIRE_ORDER, Writer
from .shapes import Shape
from .vocabulary import ITEM_ELEMENTS, ITEM_TYPES

_GATED = frozenset(f.feature for f in FIELDS.values() if f.feature)


@dataclass
class Reader:
    """Who reads, and what the server and requested schema let them see."""

    actor: str
    build: Build
    schema: str
    actions: Callable[[Item], list[str]]

    def feature(self, name: str) -> bool:
        return gate(name).open_for(self.build, self.schema)

    @cached_property
    def open_features(self) -> frozenset[str]:
        return frozenset(name for name in _GATED if self.feature(name))


_ITEM_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_TYPES_DECL = f'xmlns:t="{TYPES_NS}"'


def _writers(kind: str, shape: Shape, open_features: frozenset[str], schema: str) -> tuple[Writer, ...]:
    """The writers an item of ``kind`` needs for ``shape`` under the requested schema
    version (elements that version lacks are left out), in wire order."""
    wanted = shape.extended
    type_name = ITEM_TYPES[kind]

    def extended(out, item, reader):
        write_properties(out, item, wanted)
    return tuple(extended if f.uri == "item:ExtendedProperty" else f.write for f in WIRE_ORDER[kind]
                 if shape.wants(f) and (f.feature is None or f.feature in open_features)
                 and schema_has_element(type_name, f.element, schema))


def _compiled(writers: tuple[Writer, ...]) -> Writer:
    """One function doing what the writers do in turn, with the simple ones' bodies
    written into it (their ``inline`` source) and the others called: a FindItem of 21
    items runs some thousand writers, and a Python call apiece was a third of its
    writing time."""
    names: dict[str, object] = {"esc": esc, "esc_attr": esc_attr, "fmt": format_datetime, "folder_id": folder_id}
    body = ["def write_item(out, item, reader):", "    a = out.append"]
    for n, write in enumerate(writers):
        inline = getattr(write, "inline", None)
        if inline is None:
            names[f"w{n}"] = write
            body.append(f"    w{n}(out, item, reader)")
            continue
        lines, const = inline
        names[f"c{n}"] = const
        body += ["    " + line.replace("{C}", f"c{n}") for line in lines]
    code = compile("\n".join(body) + "\n", "<ews_propose item writer>", "exec")
    exec(code, names)  # noqa: S102 - source written above from this module's own templates
    return names["write_item"]  # type: ignore[return-value]


@lru_cache(maxsize=1024)
def _plan(kind: str, shape: Shape, open_features: frozenset[str], schema: str) -> Writer:
    """What writes an item of ``kind`` for ``shape`` under the requested schema version:
    one function, worked out once."""
    return _compiled(_writers(kind, shape, open_features, schema))



def _write_item(out: list[str], item: Item, shape: Shape, reader: Reader, declare: str = "") -> None:
    name = ITEM_ELEMENTS[item.kind]
    out.append(f"<t:{name}{declare}>")
    _plan(item.kind, shape, reader.open_features, reader.schema)(out, item, reader)
    out.append(f"</t:{name}>")


def item_text(item: Item, shape: Shape, reader: Reader) -> str:
    """The item's element as text, exactly as lxml would write it inside an answer whose
    response element declares ``t:`` (soap/raw.py): the writers close empty elements
    (``xml.tagged``) and escape as lxml does; tests/test_raw_items.py checks it."""
    out: list[str] = []
    _write_item(out, item, shape, reader)
    return "".join(out)


def items_text(items: Iterable[Item], shape: Shape, reader: Reader) -> str:
    """``<t:Items>`` holding every item, as :func:`item_text` writes one."""
    out = ["<t:Items>"]
    plans: dict[str, Writer] = {}  # per kind, looked up once
    for item in items:
        kind = item.kind
        plan = plans.get(kind)
        if plan is None:
            plan = plans[kind] = _plan(kind, shape, reader.open_features, reader.schema)
        name = ITEM_ELEMENTS[kind]
        out.append(f"<t:{name}>")
        plan(out, item, reader)
        out.append(f"</t:{name}>")
    out.append("</t:Items>")
    return "".join(out)


TYPES_DECL_BYTES = len(" " + _TYPES_DECL)


def item_element(item: Item, shape: Shape, reader: Reader) -> etree._Element:
    out: list[str] = []
    _write_item(out, item, shape, reader, " " + _TYPES_DECL)
    return etree.fromstring("".join(out), _ITEM_PARSER)


def items_element(items: Iterable[Item], shape: Shape, reader: Reader) -> etree._Element:
    """``<t:Items>`` holding every item: one parse for the lot."""
    out = [f"<t:Items {_TYPES_DECL}>"]
    for item in items:
        _write_item(out, item, shape, reader)
    out.append("</t:Items>")
    return etree.fromstring("".join(out), _ITEM_PARSER)


def id_element(item: Item, with_attachments: bool = False) -> etree._Element:
    """The item's element with its ItemId (and, for CreateItem, its attachments' ids)."""
    el = etree.Element(T + ITEM_ELEMENTS[item.kind])
    sub(el, T + "ItemId", Id=item.id, ChangeKey=item.change_key)
    if with_attachments and item.attachments:
        from ...rules.attachments import attachment_id
        holder = sub(el, T + "Attachments")
        for att in item.attachments:
            kind = sub(holder, T + ("FileAttachment" if att["kind"] == "file" else "ItemAttachment"))
            sub(kind, T + "AttachmentId", Id=attachment_id(item.id, att["aid"]), RootItemId=item.id,
                RootItemChangeKey=item.change_key)
    return el
