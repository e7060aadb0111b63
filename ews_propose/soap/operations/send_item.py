"""SendItem: send saved messages (drafts, replies and forwards saved with SaveOnly)."""

from __future__ import annotations

from ...rules import model as m
from ..context import EwsRequest, Responses, within_limit
from ..items.reading import parse_item_ids
from ..xml import M, SchemaViolation, parse_bool
from . import operation
from ._folders import target_folder


def SendItem(req: EwsRequest, request):
    flag = request.get("SaveItemToFolder")
    if flag is None:
        raise SchemaViolation("The required attribute 'SaveItemToFolder' is missing.", request)
    from lxml import etree
    holder = etree.Element("SaveItemToFolder")
    holder.text = flag
    save = parse_bool(holder)
    ids, over, why = within_limit(req, parse_item_ids(request.find(M + "ItemIds")))
    out = Responses("SendItem")
    save_to = None
    if save:
        try:
            saved = request.find(M + "SavedItemFolderId")
            save_to = target_folder(req, saved, "SavedItemFolderId") if saved is not None else m.SENT
        except Exception as exc:
            for _ in ids:
                out.failure(exc)
            out.stopped(over, why)
            return out.root
    for item_id, _ in ids:
        try:
            req.mailbox.send_draft(req.actor, item_id, save_to)
        except Exception as exc:
            out.failure(exc)
            continue
        out.success()
    out.stopped(over, why)
    return out.root


service = operation(SendItem)
