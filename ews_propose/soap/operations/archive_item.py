"""ArchiveItem: items into a folder of the mailbox's archive.

Project decision: mailboxes here have no separate archive mailbox; a mailbox is its own
archive, so ArchiveSourceFolderId names a folder of the mailbox itself and the items move
there (what exchangelib's suite sees from Exchange: the archived item is found in that
folder afterwards). The answer is MoveItem's: each item's id in its new folder.
"""

from __future__ import annotations

from ..context import EwsRequest, Responses
from ..items.reading import parse_item_ids
from ..items.text import id_element
from ..xml import M, sub
from . import operation
from ._folders import target_folder


def ArchiveItem(req: EwsRequest, request):
    ids = parse_item_ids(request.find(M + "ItemIds"))
    out = Responses("ArchiveItem")
    try:
        to = target_folder(req, request.find(M + "ArchiveSourceFolderId"), "ArchiveSourceFolderId")
    except Exception as exc:
        for _ in ids:
            sub(out.failure(exc), M + "Items")
        return out.root
    for result in req.mailbox.move(req.actor, [item_id for item_id, _ in ids], to):
        if isinstance(result, Exception):
            sub(out.failure(result), M + "Items")
            continue
        sub(out.success(), M + "Items").append(id_element(result))
    return out.root


service = operation(ArchiveItem)
