"""MoveItem and CopyItem: items into another folder of the same mailbox."""

from __future__ import annotations

from ..context import EwsRequest, Responses, within_limit
from ..items import id_element, parse_item_ids
from ..xml import M, sub
from . import operation
from ._folders import target_folder


def _move_or_copy(req: EwsRequest, request, name: str, copy: bool):
    ids, over, why = within_limit(req, parse_item_ids(request.find(M + "ItemIds")))
    out = Responses(name)
    try:
        to = target_folder(req, request.find(M + "ToFolderId"), "ToFolderId")
    except Exception as exc:
        for _ in ids:
            sub(out.failure(exc), M + "Items")
        out.stopped(over, why, items=True)
        return out.root
    do = req.mailbox.copy if copy else req.mailbox.move
    for result in do(req.actor, [item_id for item_id, _ in ids], to):
        if isinstance(result, Exception):
            sub(out.failure(result), M + "Items")
            continue
        sub(out.success(), M + "Items").append(id_element(result))
    out.stopped(over, why, items=True)
    return out.root


def MoveItem(req: EwsRequest, request):
    return _move_or_copy(req, request, "MoveItem", copy=False)


def CopyItem(req: EwsRequest, request):
    return _move_or_copy(req, request, "CopyItem", copy=True)


service = operation(MoveItem)
copy_service = operation(CopyItem)
