"""UpdateItem: SetItemField / DeleteItemField with ChangeKey checks; moving a meeting
sends updates to its attendees."""

from __future__ import annotations

from ...rules import engine as rules
from ...rules import model as m
from ..context import EwsRequest, Responses, within_limit
from ..errors import ItemError
from ..extended import merge
from ..items.reading import read_changes
from ..items.text import id_element
from ..recurrence import ID_ELEMENTS, item_id_of
from ..xml import M, SchemaViolation, T, localname, parse_enum, sub
from . import operation

CONFLICT = {
    "NeverOverwrite": rules.NEVER_OVERWRITE,
    "AutoResolve": rules.AUTO_RESOLVE,
    "AlwaysOverwrite": rules.ALWAYS_OVERWRITE,
}
SEND_UPDATES = {
    "SendToNone": rules.SEND_NONE,
    "SendOnlyToAll": rules.SEND,
    "SendOnlyToChanged": rules.SEND,
    "SendToAllAndSaveCopy": rules.SEND_AND_SAVE,
    "SendToChangedAndSaveCopy": rules.SEND_AND_SAVE,
}
DISPOSITIONS = ("SaveOnly", "SendOnly", "SendAndSaveCopy")


def UpdateItem(req: EwsRequest, request):
    conflict = parse_enum(request, request.get("ConflictResolution", "AutoResolve"), CONFLICT,
                          "the ConflictResolution attribute")
    send = request.get("SendMeetingInvitationsOrCancellations")
    if send is not None:
        send = parse_enum(request, send, SEND_UPDATES, "the SendMeetingInvitationsOrCancellations attribute")
    disposition = request.get("MessageDisposition")
    if disposition is not None:
        parse_enum(request, disposition, DISPOSITIONS, "the MessageDisposition attribute")
    changes_el = request.find(M + "ItemChanges")
    if changes_el is None:
        raise SchemaViolation("The element 'UpdateItem' is missing its required child 'ItemChanges'.", request)
    planned = []
    listed, over, why = within_limit(req, changes_el.findall(T + "ItemChange"))
    for change in listed:
        id_el = next((c for c in change if isinstance(c.tag, str) and localname(c) in ID_ELEMENTS), None)
        if id_el is None:
            raise SchemaViolation("An ItemChange needs an ItemId, OccurrenceItemId or RecurringMasterItemId.", change)
        item_id, change_key = item_id_of(id_el)
        try:
            planned.append((item_id, change_key, read_changes(change)))
        except ItemError as exc:  # this change's error alone
            planned.append((item_id, change_key, exc))

    def prepared(current: m.Item, changes: dict) -> dict:
        """The changes as the item read in the update's transaction completes them."""
        if "extended" in changes:
            changes = dict(changes)
            props = list(current.extended)
            for key, prop in changes["extended"]:  # type: ignore[union-attr]
                props = merge(props, prop, key)
            changes["extended"] = props
        if "message_fields" in changes:
            changes = dict(changes)
            fields = dict(current.message_fields)
            for element, value in changes["message_fields"]:  # type: ignore[union-attr]
                if value is None:
                    fields.pop(element, None)
                else:
                    fields[element] = value
            changes["message_fields"] = fields
        if current.kind == m.CALENDAR_ITEM and send is None:
            raise ItemError(
                "ErrorSendMeetingInvitationsOrCancellationsRequired",
                "The SendMeetingInvitationsOrCancellations attribute is required for calendar items.")
        return changes

    out = Responses("UpdateItem")
    for item_id, change_key, changes in planned:
        try:
            if isinstance(changes, ItemError):
                raise changes
            item = req.rules.update_item(req.actor, item_id, change_key, changes, conflict,
                                         send or rules.SEND_NONE, prepare=prepared)
        except Exception as exc:
            msg = out.failure(exc)
            sub(msg, M + "Items")
            continue
        if disposition in ("SendOnly", "SendAndSaveCopy") and item.kind == m.MESSAGE and item.is_draft:
            # The updated draft is sent; as with CreateItem, a sent message has no id to return.
            try:
                req.mailbox.send_draft(req.actor, item.id, m.SENT if disposition == "SendAndSaveCopy" else None)
            except Exception as exc:
                sub(out.failure(exc), M + "Items")
                continue
            msg = out.success()
            sub(msg, M + "Items")
            sub(sub(msg, M + "ConflictResults"), T + "Count", "0")
            continue
        msg = out.success()
        sub(msg, M + "Items").append(id_element(item))
        sub(sub(msg, M + "ConflictResults"), T + "Count", "0")
    out.stopped(over, why, items=True)
    return out.root


service = operation(UpdateItem)
