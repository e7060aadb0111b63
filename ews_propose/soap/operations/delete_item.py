"""DeleteItem: hard, soft or to Deleted Items; an organizer's delete can cancel the meeting."""

from __future__ import annotations

import base64
import binascii

from ...rules import engine as rules
from ..context import EwsRequest, Responses, within_limit
from ..items.reading import parse_item_ids
from ..xml import M, parse_enum
from . import operation

DELETE_TYPES = {
    "HardDelete": rules.HARD_DELETE,
    "SoftDelete": rules.SOFT_DELETE,
    "MoveToDeletedItems": rules.MOVE_TO_DELETED,
}
CANCELLATIONS = {
    "SendToNone": rules.SEND_NONE,
    "SendOnlyToAll": rules.SEND,
    "SendToAllAndSaveCopy": rules.SEND_AND_SAVE,
}
OCCURRENCES = ("AllOccurrences", "SpecifiedOccurrenceOnly")


def DeleteItem(req: EwsRequest, request):
    how = parse_enum(request, request.get("DeleteType"), DELETE_TYPES, "the DeleteType attribute")
    cancellations = parse_enum(request, request.get("SendMeetingCancellations", "SendToNone"),
                               CANCELLATIONS, "the SendMeetingCancellations attribute")
    if request.get("AffectedTaskOccurrences") is not None:
        parse_enum(request, request.get("AffectedTaskOccurrences"), OCCURRENCES,
                   "the AffectedTaskOccurrences attribute")
    ids, over, why = within_limit(req, parse_item_ids(request.find(M + "ItemIds")))
    out = Responses("DeleteItem")
    for item_id, change_key in ids:
        if change_key is not None and not _well_formed(change_key):
            out.error("ErrorInvalidChangeKey", "The ChangeKey is malformed.")
            continue
        try:
            req.rules.delete_item(req.actor, item_id, how, cancellations)
        except Exception as exc:
            out.failure(exc)
            continue
        out.success()
    out.stopped(over, why)
    return out.root


def _well_formed(change_key: str) -> bool:
    try:
        return bool(base64.b64decode(change_key, validate=True))
    except (binascii.Error, ValueError):
        return False


service = operation(DeleteItem)
