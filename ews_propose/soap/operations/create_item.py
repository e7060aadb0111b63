"""CreateItem: calendar items (with invitations), messages, generic items, meeting
replies (AcceptItem / TentativelyAcceptItem / DeclineItem, with or without
ProposedStart/End), and ReplyToItem / ReplyAllToItem / ForwardItem.

The whole request is read first and only then carried out, so a request-level fault
(schema, version gate) leaves every mailbox untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ...rules import engine as rules
from ...rules import model as m
from ...rules.engine import NewItem, Reply
from ...rules.mailbox import FORWARD, REPLY, REPLY_ALL, Response
from ...versions import gate
from ..context import EwsRequest, Responses, within_limit
from ..errors import EwsFault, ItemError
from ..items.reading import REPLY_ELEMENTS, read_body, read_new_item, read_recipients, read_reply
from ..items.text import id_element
from ..xml import M, SchemaViolation, T, localname, parse_enum, sub
from . import operation
from ._folders import resolve_folder

DISPOSITIONS = {
    "SaveOnly": rules.SAVE_ONLY,
    "SendOnly": rules.SEND_ONLY,
    "SendAndSaveCopy": rules.SEND_AND_SAVE_COPY,
}
INVITATIONS = {
    "SendToNone": rules.SEND_NONE,
    "SendOnlyToAll": rules.SEND,
    "SendToAllAndSaveCopy": rules.SEND_AND_SAVE,
}


@dataclass
class _Planned:
    element: etree._Element
    new: NewItem | None = None
    reply: Reply | None = None
    reference: str | None = None
    error: ItemError | None = None
    response: Response | None = None
    cancel: bool = False
    remove: bool = False  # RemoveItem: a cancelled meeting off the attendee's calendar
    comment: str = ""  # CancelCalendarItem's Body


def CreateItem(req: EwsRequest, request):
    disposition = request.get("MessageDisposition")
    if disposition is not None:
        disposition = parse_enum(request, disposition, DISPOSITIONS, "the MessageDisposition attribute")
    invitations = request.get("SendMeetingInvitations")
    if invitations is not None:
        invitations = parse_enum(request, invitations, INVITATIONS, "the SendMeetingInvitations attribute")
    saved_folder = None
    saved = request.find(M + "SavedItemFolderId")
    items = request.find(M + "Items")
    if items is None:
        raise SchemaViolation("The element 'CreateItem' is missing its required child 'Items'.", request)
    listed, over, why = within_limit(req, [el for el in items if isinstance(el.tag, str)])
    plan = [_plan(req, el) for el in listed]
    if saved is not None and len(saved):
        try:
            saved_folder = resolve_folder(req, saved[0])
        except ItemError as exc:
            for p in plan:
                p.error = exc

    out = Responses("CreateItem")
    for p in plan:
        try:
            if p.error is not None:
                raise p.error
            created = _carry_out(req, p, disposition, invitations, saved_folder)
        except Exception as exc:  # RuleError / ItemError become this item's error
            msg = out.failure(exc)
            sub(msg, M + "Items")
            continue
        msg = out.success()
        holder = sub(msg, M + "Items")
        for item in created:
            holder.append(id_element(item, with_attachments=True))
    out.stopped(over, why, items=True)
    return out.root


def _plan(req: EwsRequest, el: etree._Element) -> _Planned:
    name = localname(el)
    if name in ("CalendarItem", "Message", "Item"):
        try:
            new = read_new_item(el)
        except ItemError as exc:  # a value this item cannot have: this item's error alone
            return _Planned(el, error=exc)
        if new.kind == m.CALENDAR_ITEM and not new.time_zone and req.time_zone:
            new.time_zone = req.time_zone  # zone-less times were read in TimeZoneContext's zone
        return _Planned(el, new=new)
    if name in RESPONSE_ELEMENTS:
        return _Planned(el, response=_read_response(el, RESPONSE_ELEMENTS[name]))
    if name in ("CancelCalendarItem", "RemoveItem"):
        ref = el.find(T + "ReferenceItemId")
        if ref is None or ref.get("Id") is None:
            raise SchemaViolation(f"The element '{name}' needs a ReferenceItemId with an Id.", el)
        if name == "RemoveItem":
            return _Planned(el, reference=ref.get("Id"), remove=True)
        body = el.find(T + "NewBodyContent")  # the documented place; the Managed API writes Body
        if body is None:
            body = el.find(T + "Body")
        comment = read_body(body)[0] if body is not None else ""
        return _Planned(el, reference=ref.get("Id"), cancel=True, comment=comment)
    if name in REPLY_ELEMENTS:
        reference, reply = read_reply(el, lambda child: _proposals_open(req, child))
        return _Planned(el, reply=reply, reference=reference)
    return _Planned(el, error=ItemError(
        "ErrorInvalidRequest", f"Creating a {name} is not supported by this emulator."))


RESPONSE_ELEMENTS = {"ReplyToItem": REPLY, "ReplyAllToItem": REPLY_ALL, "ForwardItem": FORWARD}


def _read_response(el: etree._Element, kind: str) -> Response:
    ref = el.find(T + "ReferenceItemId")
    if ref is None or ref.get("Id") is None:
        raise SchemaViolation(f"The element '{localname(el)}' needs a ReferenceItemId with an Id.", el)
    out = Response(kind, ref.get("Id"))
    subject = el.find(T + "Subject")
    if subject is not None:
        out.subject = subject.text or ""
    for tag in ("NewBodyContent", "Body"):
        body = el.find(T + tag)
        if body is not None:
            out.body, out.body_type = read_body(body)
            break
    if el.find(T + "ToRecipients") is not None:
        out.to = read_recipients(el.find(T + "ToRecipients"))
    out.cc = read_recipients(el.find(T + "CcRecipients"))
    out.bcc = read_recipients(el.find(T + "BccRecipients"))
    return out


def _proposals_open(req: EwsRequest, el: etree._Element) -> None:
    """ProposedStart/ProposedEnd exist only from build 15.00.0800.007 and schema Exchange2013."""
    g = gate("propose_new_time")
    if not g.server_has(req.build):
        raise SchemaViolation(
            f"The element '{localname(el)}' is not supported by server build {req.build}; "
            f"proposing a new time needs build {g.min_build} or later.", el)
    if not g.schema_has(req.schema):
        raise EwsFault(
            "ErrorIncorrectSchemaVersion",
            f"The request is valid but does not specify the correct server version in the "
            f"RequestServerVersion SOAP header: '{localname(el)}' needs {g.min_schema} or later "
            f"(the request says {req.schema}).",
        )


def _carry_out(req: EwsRequest, p: _Planned, disposition, invitations, saved_folder) -> list[m.Item]:
    if p.reply is not None:
        result = req.rules.respond(req.actor, p.reference, p.reply,
                                   disposition or rules.SEND_AND_SAVE_COPY)
        if result.draft is not None:
            return [result.draft]
        return [i for i in (result.calendar_item, result.request) if i is not None]
    if p.cancel:
        return _cancel(req, p.reference or "", disposition, p.comment)
    if p.remove:
        moved = req.rules.remove_from_calendar(req.actor, p.reference or "")
        return [moved] if moved is not None else []
    if p.response is not None:
        subject, body, body_type, to, cc, bcc = req.mailbox.compose(req.actor, p.response)
        p.new = NewItem(kind=m.MESSAGE, subject=subject, body=body, body_type=body_type, to=to, cc=cc, bcc=bcc,
                        reminder_is_set=False, reminder_minutes=0)
    new = p.new
    assert new is not None
    if new.kind == m.GENERIC:
        return [req.mailbox.create_generic(req.actor, new.subject, new.body, new.body_type,
                                           saved_folder or m.DRAFTS, importance=new.importance,
                                           sensitivity=new.sensitivity, categories=list(new.categories),
                                           extended=list(new.extended), in_reply_to=new.in_reply_to,
                                           culture=new.culture, reminder_is_set=new.reminder_is_set,
                                           reminder_minutes=new.reminder_minutes,
                                           attachments=[dict(a) for a in new.attachments],
                                           message_fields=dict(new.message_fields))]
    if new.kind == m.CALENDAR_ITEM:
        if invitations is None:
            raise ItemError("ErrorSendMeetingInvitationsRequired",
                            "The SendMeetingInvitations attribute is required for calendar items.")
        folder = saved_folder or m.CALENDAR
        if folder != m.CALENDAR:
            raise ItemError("ErrorInvalidRequest", "Calendar items can only be created in the calendar.")
        return [req.rules.create_calendar_item(req.actor, new, folder, invitations)]
    if disposition is None:
        raise ItemError("ErrorMessageDispositionRequired",
                        "The MessageDisposition attribute is required for messages.")
    saved_item = req.rules.send_message(req.actor, new, disposition, saved_folder)
    # Exchange returns an id only for an item it saved without sending.
    return [saved_item] if disposition == rules.SAVE_ONLY and saved_item is not None else []


def _cancel(req: EwsRequest, reference: str, disposition, comment: str = "") -> list[m.Item]:
    """The organizer cancels a meeting (or one occurrence of a series): cancellations
    carrying ``comment`` go out, the meeting is deleted (the occurrence leaves its series);
    the answer names the cancellation kept in Sent Items (when a copy is saved)."""
    meeting = req.rules.get_item(req.actor, reference)
    if meeting.kind != m.CALENDAR_ITEM or not meeting.is_organized_by(req.actor) or meeting.is_cancelled:
        raise ItemError("ErrorInvalidItemForOperationCancelItem",
                        "Only the organizer's own meeting can be cancelled.")
    if not meeting.attendees:
        raise ItemError("ErrorInvalidRecipients", "The meeting has no attendees to send a cancellation to.")
    save = disposition in (None, rules.SEND_AND_SAVE_COPY, rules.SAVE_ONLY)
    req.rules.delete_item(req.actor, reference, rules.HARD_DELETE, rules.SEND_AND_SAVE if save else rules.SEND,
                          comment=comment)
    if not save:
        return []
    sent, _ = req.rules.list_folder(req.actor, m.SENT, rules.View())
    notices = [i for i in sent if i.kind == m.MEETING_CANCELLATION and i.uid == meeting.uid
               and i.recurrence_id == meeting.recurrence_id]
    return sorted(notices, key=lambda i: i.created or i.received)[-1:]


service = operation(CreateItem)
