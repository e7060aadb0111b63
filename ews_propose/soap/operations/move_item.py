"""MoveItem and CopyItem: items into another folder of the same mailbox."""

from __future__ import annotations

from ...rules import model as m
from ..context import EwsRequest, Responses, within_limit
from ..items.reading import parse_item_ids
from ..items.text import id_element
from ..xml import M, SchemaViolation, sub
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


def MarkAsJunk(req: EwsRequest, request):
    """Junk goes to Junk Email, not-junk back to the Inbox, when MoveItem says so (this
    server keeps no safe or blocked senders lists); the mailbox's own mail is never junk."""
    is_junk = _bool_attr(request, "IsJunk")
    move = _bool_attr(request, "MoveItem")
    ids, over, why = within_limit(req, parse_item_ids(request.find(M + "ItemIds")))
    out = Responses("MarkAsJunk")
    if not move:
        for found in req.rules.get_items(req.actor, [item_id for item_id, _ in ids]):
            if isinstance(found, Exception):
                out.failure(found)
            else:
                out.success()
        out.stopped(over, why)
        return out.root
    wanted = [item_id for item_id, _ in ids]
    if is_junk:
        # As Exchange (and Outlook) refuse to block one's own address: mail from the mailbox
        # itself, or without a sender, is not junk and stays where it is.
        own = {i.id for i in req.rules.get_items(req.actor, wanted)
               if not isinstance(i, Exception) and (i.sender is None or i.sender.smtp.lower() == req.actor.lower())}
    else:
        own = set()
    movable = [i for i in wanted if i not in own]
    moved = iter(req.mailbox.move(req.actor, movable, "junkemail" if is_junk else m.INBOX))
    for item_id in wanted:
        if item_id in own:
            out.success()
            continue
        result = next(moved)
        if isinstance(result, Exception):
            out.failure(result)
            continue
        sub(out.success(), M + "MovedItemId", Id=result.id, ChangeKey=result.change_key)
    out.stopped(over, why)
    return out.root


def _bool_attr(el, name: str) -> bool:
    value = el.get(name)
    if value not in ("true", "false", "1", "0"):
        raise SchemaViolation(f"The attribute '{name}' must be true or false.", el)
    return value in ("true", "1")


service = operation(MoveItem)
copy_service = operation(CopyItem)
junk_service = operation(MarkAsJunk)
