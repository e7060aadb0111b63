"""GetItem: items by id, in the requested shape, with ResponseObjects when asked."""

from __future__ import annotations

from .. import raw
from ..context import EwsRequest, Responses, within_limit
from ..items.reading import parse_item_ids
from ..items.shapes import parse_shape
from ..items.text import TYPES_DECL_BYTES, item_text
from ..xml import M, sub
from . import operation


def GetItem(req: EwsRequest, request):
    shape = parse_shape(request.find(M + "ItemShape"))
    ids, over, why = within_limit(req, parse_item_ids(request.find(M + "ItemIds")))
    out = Responses("GetItem")
    budget = req.rules.limits.max_response_bytes
    made: dict[str, tuple[str, int]] = {}  # an id named twice is written once
    found_all = req.rules.get_items(req.actor, [item_id for item_id, _ in ids])
    for n, ((item_id, _), found) in enumerate(zip(ids, found_all, strict=True)):
        if isinstance(found, Exception):
            msg = out.failure(found)
            sub(msg, M + "Items")
            continue
        if item_id not in made:
            text = item_text(found, shape, req.reader)
            # its size as the element alone, in ASCII with its own t: declaration
            made[item_id] = (text, len(text.encode("ascii", "xmlcharrefreplace")) + TYPES_DECL_BYTES)
        text, size = made[item_id]
        budget -= size
        if budget < 0:  # the answer would grow past max_response_bytes: stop here
            out.stopped(len(ids) - n + over, f"The items asked for exceed the {req.rules.limits.max_response_bytes}"
                        " bytes one GetItem answer may carry.", items=True)
            return out.root
        msg = out.success()
        raw.append(sub(msg, M + "Items"), text)
    out.stopped(over, why, items=True)
    return out.root


service = operation(GetItem)
