"""GetItem: items by id, in the requested shape, with ResponseObjects when asked."""

from __future__ import annotations

from ..context import EwsRequest, Responses
from ..items import item_element, parse_item_ids, parse_shape
from ..xml import M, sub
from . import operation


def GetItem(req: EwsRequest, request):
    shape = parse_shape(request.find(M + "ItemShape"))
    ids = parse_item_ids(request.find(M + "ItemIds"))
    out = Responses("GetItem")
    for found in req.rules.get_items(req.actor, [item_id for item_id, _ in ids]):
        if isinstance(found, Exception):
            msg = out.failure(found)
            sub(msg, M + "Items")
            continue
        msg = out.success()
        sub(msg, M + "Items").append(item_element(found, shape, req.reader))
    return out.root


service = operation(GetItem)
