"""Calendar item fields kept as written: When, ConferenceType, MeetingWorkspaceUrl and
NetShowUrl (Item.message_fields, by element name). Read from CreateItem, set and
deleted by UpdateItem, answered in schema order and searchable; nothing else reads
them (this server hosts no meeting workspaces or NetShow broadcasts)."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from ..rules.engine import NewItem
from ..rules.model import Item
from .xml import SchemaViolation, esc, inline, localname, text_lines

# element -> the field's kind in a Restriction
KEPT = {"When": "str", "ConferenceType": "int", "MeetingWorkspaceUrl": "str", "NetShowUrl": "str"}
CONFERENCE_TYPES = ("0", "1", "2")  # NetMeeting, NetShow, Chat


def value_of(el: etree._Element) -> str:
    text = (el.text or "").strip()
    if localname(el) == "ConferenceType" and text not in CONFERENCE_TYPES:
        raise SchemaViolation(f"The value '{el.text}' of element 'ConferenceType' is not 0, 1 or 2.", el)
    return text


def read_kept(new: NewItem, name: str, child: etree._Element) -> bool:
    """Keep ``child`` when it is one of these fields (CreateItem)."""
    if name not in KEPT:
        return False
    new.message_fields[name] = value_of(child)
    return True


def _writer(element: str) -> Callable[[str], Callable]:
    def make(tag: str):
        def write(out, item, reader):
            value = item.message_fields.get(element)
            if value is not None:
                text = esc(value)
                out.append(f"<t:{tag}>{text}</t:{tag}>" if text else f"<t:{tag}/>")
        return inline(write, f"v = item.message_fields.get({element!r})", "if v is not None:",
                      *("    " + line for line in text_lines(tag, "v")))
    return make


# (FieldURI, element, writer maker, in the Default shape, feature): rows of items.FIELDS
TABLE = [(f"calendar:{name}", name, _writer(name), True, None) for name in KEPT]
# UpdateItem: kept with the message fields (items.read_changes)
UPDATES = {f"calendar:{name}": ("message_fields", lambda c: (localname(c), value_of(c))) for name in KEPT}


def _getter(name: str, kind: str) -> Callable[[Item], object]:
    def get(item: Item) -> object:
        value = item.message_fields.get(name)
        if value is None or kind != "int":
            return value
        return int(value) if value.lstrip("-").isdigit() else None
    return get


QUERY = {f"calendar:{name}": (_getter(name, kind), kind) for name, kind in KEPT.items()}
