"""Attachments on the wire: FileAttachment and ItemAttachment in CreateItem and
CreateAttachment, and in GetAttachment's answer (with content)."""

from __future__ import annotations

import base64
import binascii

from lxml import etree

from ..rules import model as m
from ..rules.attachments import attachment_id, stamp
from ..rules.model import Item, from_record, to_record
from .items.reading import read_new_item
from .items.shapes import Shape
from .items.text import Reader, item_element
from .xml import SchemaViolation, T, esc, esc_attr, localname, parse_bool, sub, tagged

ITEM_KINDS = ("Item", "Message", "CalendarItem")


def read_attachment(el: etree._Element) -> dict:
    kind = localname(el)
    if kind not in ("FileAttachment", "ItemAttachment"):
        raise SchemaViolation(f"The element '{kind}' is not an attachment.", el)
    out: dict = {"kind": "file" if kind == "FileAttachment" else "item",
                 "name": el.findtext(T + "Name") or "",
                 "content_type": el.findtext(T + "ContentType") or "",
                 "content_id": el.findtext(T + "ContentId") or "",
                 "is_inline": parse_bool(el.find(T + "IsInline")) if el.find(T + "IsInline") is not None else False}
    if kind == "FileAttachment":
        content = (el.findtext(T + "Content") or "").strip()
        try:
            base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise SchemaViolation("The Content of a FileAttachment is not base64.", el) from None
        out["content"] = content
        if not out["content_type"]:
            out["content_type"] = "application/octet-stream"
    else:
        inner = next((c for c in el if isinstance(c.tag, str) and localname(c) in ITEM_KINDS), None)
        if inner is None:
            raise SchemaViolation("An ItemAttachment needs an Item, Message or CalendarItem.", el)
        new = read_new_item(inner)
        embedded = Item(id="", mailbox="", folder="", kind=new.kind, subject=new.subject, body=new.body,
                        body_type=new.body_type, importance=new.importance, sensitivity=new.sensitivity,
                        categories=list(new.categories), to=new.to, cc=new.cc, bcc=new.bcc, start=new.start,
                        end=new.end, location=new.location, is_read=True, in_reply_to=new.in_reply_to,
                        culture=new.culture, reminder_is_set=new.reminder_is_set,
                        reminder_minutes=new.reminder_minutes, message_fields=dict(new.message_fields),
                        reply_to=list(new.reply_to), extended=list(new.extended),
                        # attachments of the attached item, to any depth
                        attachments=list(new.attachments),
                        item_class={m.CALENDAR_ITEM: "IPM.Appointment", m.GENERIC: "IPM.Item"}.get(new.kind,
                                                                                                   "IPM.Note"))
        out["item"] = to_record(embedded)
        if not out["content_type"]:
            out["content_type"] = ""
    return stamp(out)


def read_attachments(holder: etree._Element | None) -> list[dict]:
    if holder is None:
        return []
    return [read_attachment(c) for c in holder if isinstance(c.tag, str)]


def size_of(att: dict) -> int:
    if att["kind"] == "file":
        return len(att.get("content", "")) * 3 // 4
    record = att.get("item") or {}
    return 256 + len(str(record.get("subject", "")).encode()) + len(str(record.get("body", "")).encode())


def write_metadata(out: list[str], item: Item, att: dict, path: tuple[str, ...] = ()) -> None:
    """An attachment in an item's Attachments: everything but the content. ``path``: the
    tokens of the attachments above it, when it belongs to an attached item of ``item``."""
    tag = "FileAttachment" if att["kind"] == "file" else "ItemAttachment"
    out.append(f"<t:{tag}>")
    _common(out, item, att, path)
    if att["kind"] == "file":
        out.append("<t:IsContactPhoto>false</t:IsContactPhoto>")
    out.append(f"</t:{tag}>")


def _common(out: list[str], item: Item, att: dict, path: tuple[str, ...] = ()) -> None:
    token = attachment_id(item.id, *path, att["aid"]) if path else attachment_id(item.id, att["aid"])
    out.append(f'<t:AttachmentId Id="{token}" RootItemId="{esc_attr(item.id)}" '
               f'RootItemChangeKey="{esc_attr(item.change_key)}"/>')
    out.append(tagged("Name", esc(att['name'])))
    if att.get("content_type"):
        out.append(f"<t:ContentType>{esc(att['content_type'])}</t:ContentType>")
    if att.get("content_id"):
        out.append(f"<t:ContentId>{esc(att['content_id'])}</t:ContentId>")
    out.append(f"<t:Size>{size_of(att)}</t:Size>")
    out.append(f"<t:LastModifiedTime>{att['modified']}</t:LastModifiedTime>")
    out.append(f"<t:IsInline>{'true' if att.get('is_inline') else 'false'}</t:IsInline>")


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_DECL = 'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"'


def full_element(parent: etree._Element, item: Item, att: dict, reader: Reader, path: list[str] | None = None) -> None:
    """An attachment with its content (GetAttachment); ``path``: the tokens from ``item``
    down to ``att`` (itself included), for an attachment of an attached item."""
    above = tuple(path[:-1]) if path else ()
    tag = "FileAttachment" if att["kind"] == "file" else "ItemAttachment"
    out = [f"<t:{tag} {_DECL}>"]
    _common(out, item, att, above)
    if att["kind"] == "file":
        out.append("<t:IsContactPhoto>false</t:IsContactPhoto>")
        out.append(f"<t:Content>{att.get('content', '')}</t:Content>")
    out.append(f"</t:{tag}>")
    el = etree.fromstring("".join(out), _PARSER)
    if att["kind"] == "item":
        embedded = from_record(att["item"])
        nested = embedded.attachments
        embedded.attachments = []
        embedded.id = attachment_id(item.id, *above, att["aid"])  # the embedded item has no id of its own
        inner = item_element(embedded, _EMBEDDED_SHAPE, reader)
        inner.remove(inner.find(T + "ItemId"))
        pfi = inner.find(T + "ParentFolderId")
        if pfi is not None:
            inner.remove(pfi)
        if nested:
            # the attached item's own attachments, by ids that lead through this one
            listing = [f"<t:Attachments {_DECL}>"]
            for child in nested:
                write_metadata(listing, item, child, (*above, att["aid"]))
            listing.append("</t:Attachments>")
            holder = etree.fromstring("".join(listing), _PARSER)
            anchor = inner.find(T + "Attachments")
            if anchor is not None:
                anchor.getparent().replace(anchor, holder)
            else:
                body = inner.find(T + "Body")
                (body.addnext if body is not None else inner.append)(holder)
            has = inner.find(T + "HasAttachments")
            if has is not None:
                has.text = "true" if any(not c.get("is_inline") for c in nested) else "false"
        el.append(inner)
    parent.append(el)


# The attached item as GetAttachment gives it: all its fields, the body as text too.
_EMBEDDED_SHAPE = Shape("AllProperties")


__all__ = ["read_attachments", "write_metadata", "full_element", "sub"]
