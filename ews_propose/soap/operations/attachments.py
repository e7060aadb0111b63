"""CreateAttachment, GetAttachment and DeleteAttachment: file and item attachments,
stored with their item."""

from __future__ import annotations

from lxml import etree

from ...rules.attachments import attachment_id
from ..attachments import full_element, read_attachments
from ..context import EwsRequest, Responses
from ..xml import M, SchemaViolation, T, sub
from . import operation


def CreateAttachment(req: EwsRequest, request):
    parent = request.find(M + "ParentItemId")
    if parent is None or parent.get("Id") is None:
        raise SchemaViolation("CreateAttachment needs a ParentItemId with an Id.", request)
    attachments = read_attachments(request.find(M + "Attachments"))
    if not attachments:
        raise SchemaViolation("CreateAttachment needs at least one attachment.", request)
    out = Responses("CreateAttachment")
    try:
        item, _ = req.attachments.add(req.actor, parent.get("Id"), attachments)
    except Exception as exc:
        for _ in attachments:
            sub(out.failure(exc), M + "Attachments")
        return out.root
    for att in attachments:
        holder = sub(out.success(), M + "Attachments")
        el = sub(holder, T + ("FileAttachment" if att["kind"] == "file" else "ItemAttachment"))
        sub(el, T + "AttachmentId", Id=attachment_id(item.id, att["aid"]), RootItemId=item.id,
            RootItemChangeKey=item.change_key)
    return out.root


def _ids(request) -> list[str]:
    holder = request.find(M + "AttachmentIds")
    if holder is None:
        raise SchemaViolation("The element 'AttachmentIds' is required.", request)
    out = []
    for el in holder:
        if isinstance(el.tag, str):
            if el.get("Id") is None:
                raise SchemaViolation("The required attribute 'Id' is missing.", el)
            out.append(el.get("Id"))
    return out


def GetAttachment(req: EwsRequest, request):
    out = Responses("GetAttachment")
    for token in _ids(request):
        try:
            item, att, path = req.attachments.get(req.actor, token)
        except Exception as exc:
            sub(out.failure(exc), M + "Attachments")
            continue
        full_element(sub(out.success(), M + "Attachments"), item, att, req.reader, path)
    return out.root


def DeleteAttachment(req: EwsRequest, request):
    out = Responses("DeleteAttachment")
    for token in _ids(request):
        try:
            item = req.attachments.delete(req.actor, token)
        except Exception as exc:
            out.failure(exc)
            continue
        etree.SubElement(out.success(), M + "RootItemId", RootItemId=item.id, RootItemChangeKey=item.change_key)
    return out.root


services = [operation(h) for h in (CreateAttachment, GetAttachment, DeleteAttachment)]
