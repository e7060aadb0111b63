"""``/me/messages``, ``/me/mailFolders`` and ``/me/mailFolders/{id}/messages``: the EWS
messages of the same mailboxes; meeting messages as eventMessageRequest /
eventMessageResponse / eventMessage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import falcon

from ..rules import engine as R
from ..rules.ids import folder_id
from ..rules.model import (
    ACCEPT,
    DECLINE,
    DELETED,
    DRAFTS,
    FULL_UPDATE,
    INBOX,
    INFORMATIONAL_UPDATE,
    MEETING_CANCELLATION,
    MEETING_REQUEST,
    MEETING_RESPONSE,
    MESSAGE,
    NEW_REQUEST,
    SENT,
    TENTATIVE,
    Item,
)
from . import events, ids, query, shapes
from .common import (
    Ctx,
    apply_select,
    ctx_of,
    int_param,
    next_link,
    no_content,
    read_body,
    selected,
    send_json,
    target,
)
from .errors import GraphError, not_found
from .models import MessagePatch
from .timezones import date_time_time_zone, utc_text

MAIL_FOLDERS = (INBOX, SENT, DELETED, DRAFTS)
FOLDER_NAMES = {INBOX: "Inbox", SENT: "Sent Items", DELETED: "Deleted Items", DRAFTS: "Drafts"}
MESSAGE_KINDS = (MESSAGE, MEETING_REQUEST, MEETING_RESPONSE, MEETING_CANCELLATION)
EXPAND_EVENT = "microsoft.graph.eventmessage/event"
_TYPE = {
    MESSAGE: "#microsoft.graph.message",
    MEETING_REQUEST: "#microsoft.graph.eventMessageRequest",
    MEETING_RESPONSE: "#microsoft.graph.eventMessageResponse",
    MEETING_CANCELLATION: "#microsoft.graph.eventMessage",
}
# The item kinds that are Graph messages (everything but calendar items).
MESSAGE_KINDS = frozenset(_TYPE)
# Graph's schema spells it "meetingTenativelyAccepted" (sic): its $metadata enum member, as
# every SDK parses it. Seed 000's hand-written sample writes "meetingTentativelyAccepted",
# which the SDKs read as no value. docs/graph.md says so.
_MEETING_MESSAGE_TYPE = {ACCEPT: "meetingAccepted", TENTATIVE: "meetingTenativelyAccepted",
                         DECLINE: "meetingDeclined"}
_REQUEST_TYPE = {NEW_REQUEST: "newMeetingRequest", FULL_UPDATE: "fullUpdate",
                 INFORMATIONAL_UPDATE: "informationalUpdate"}


def folder_rest_id(smtp: str, folder: str) -> str:
    return ids.rest_id(folder_id(smtp, folder))


def resolve_folder(smtp: str, token: str) -> str:
    """A mail folder named by its well-known name (any case) or its id."""
    if token.lower() in MAIL_FOLDERS:
        return token.lower()
    for folder in MAIL_FOLDERS:
        if token == folder_rest_id(smtp, folder):
            return folder
    raise not_found()


def message_json(item: Item, ctx: Ctx) -> dict[str, Any]:
    where = ctx.out_zone
    rest = ids.rest_id(item.id)
    out: dict[str, Any] = {
        "@odata.type": _TYPE[item.kind],
        "@odata.etag": f'W/"{item.change_key}"',
        "id": rest,
        "createdDateTime": utc_text(item.created),
        "lastModifiedDateTime": utc_text(item.received or item.created),
        "changeKey": item.change_key,
        "categories": list(item.categories),
        "receivedDateTime": utc_text(item.received),
        "sentDateTime": utc_text(item.created),
        "hasAttachments": False,
        "internetMessageId": f"<{ids.conversation_id(item.id, item.id)[6:]}@ews-propose>",
        "subject": item.subject,
        "bodyPreview": shapes.preview(item.body, item.body_type),
        "importance": shapes.level(item.importance),
        "parentFolderId": folder_rest_id(item.mailbox, item.folder),
        "conversationId": ids.conversation_id(item.uid, item.id),
        "isDeliveryReceiptRequested": None,
        "isReadReceiptRequested": False,
        "isRead": item.is_read,
        "isDraft": item.is_draft,
        "webLink": f"https://outlook.office365.com/owa/?ItemID={quote(rest, safe='')}"
                   f"&exvsurl=1&viewmodel=ReadMessageItem",
        "inferenceClassification": "focused",
        "body": shapes.body(item.body, item.body_type, ctx.body_type),
        "sender": shapes.email(item.sender),
        "from": shapes.email(item.sender),
        "toRecipients": [shapes.email(p) for p in item.to],
        "ccRecipients": [shapes.email(p) for p in item.cc],
        "bccRecipients": [shapes.email(p) for p in item.bcc],
        "replyTo": [],
        "flag": {"flagStatus": "notFlagged"},
    }
    if item.kind == MESSAGE:
        return out
    if item.kind == MEETING_REQUEST:
        meeting_type = "meetingRequest"
    elif item.kind == MEETING_CANCELLATION:
        meeting_type = "meetingCancelled"
    else:
        meeting_type = _MEETING_MESSAGE_TYPE.get(item.response or "", "none")
    out.update({
        "meetingMessageType": meeting_type,
        "type": "singleInstance",
        "isOutOfDate": item.is_out_of_date,
        "isAllDay": item.is_all_day,
        "isDelegated": False,
        "recurrence": None,
        "startDateTime": date_time_time_zone(item.start, where),
        "endDateTime": date_time_time_zone(item.end, where),
        "location": shapes.location(item.location, unique_type="unknown"),
    })
    if item.kind == MEETING_REQUEST:
        out.update({
            "allowNewTimeProposals": item.allow_new_time_proposal,
            "meetingRequestType": _REQUEST_TYPE.get(item.request_type or "", "none"),
            "responseRequested": item.is_response_requested,
            "previousLocation": None,
            "previousStartDateTime": None,
            "previousEndDateTime": None,
        })
    if item.kind == MEETING_RESPONSE:
        out["responseType"] = {ACCEPT: "accepted", TENTATIVE: "tentativelyAccepted",
                               DECLINE: "declined"}.get(item.response or "", "none")
        if item.proposed_start is not None and item.proposed_end is not None:
            out["proposedNewTime"] = {"start": date_time_time_zone(item.proposed_start, where),
                                      "end": date_time_time_zone(item.proposed_end, where)}
    return out


def wants_event(req: falcon.Request) -> bool:
    """``$expand=microsoft.graph.eventMessage/event``; any other expansion is a 400."""
    raw = (req.get_param("$expand") or "").replace(" ", "").lower()
    if not raw:
        return False
    if raw not in (EXPAND_EVENT, "event"):
        raise GraphError(400, "BadRequest", f"Parsing OData Select and Expand failed: '{raw}' is not "
                         f"supported; this emulator expands microsoft.graph.eventMessage/event.")
    return True


def _expand(req: falcon.Request, ctx: Ctx, item: Item, payload: dict[str, Any]) -> None:
    """The meeting message's event inline, when asked for."""
    if not wants_event(req):
        return
    if item.kind == MESSAGE or not item.associated_item_id:
        return
    try:
        event = ctx.rules.get_item(item.mailbox, item.associated_item_id)
    except R.RuleError:
        return
    payload["event@odata.context"] = ctx.context_url(ctx.me, f"messages('{ids.rest_id(item.id)}')/"
                                                     f"microsoft.graph.eventMessage/event/$entity")
    payload["event"] = events.event_json(event, ctx)


def _all_messages(ctx: Ctx, smtp: str, folder: str | None) -> list[Item]:
    folders = (folder,) if folder else MAIL_FOLDERS
    out: list[Item] = []
    for name in folders:
        items, _ = ctx.rules.list_folder(smtp, name, R.View())
        out.extend(i for i in items if i.kind in MESSAGE_KINDS)
    out.sort(key=lambda i: (i.received or i.created), reverse=True)
    return out


def _find(ctx: Ctx, user: str | None, message_id: str, folder_id: str | None) -> Item:
    mailbox = target(ctx, user)
    folder = resolve_folder(mailbox.smtp, folder_id) if folder_id else None
    item = ctx.rules.get_item(mailbox.smtp, ids.ews_id(message_id))
    if item.kind not in MESSAGE_KINDS or (folder is not None and item.folder != folder):
        raise not_found()
    return item


class MessagesCollection:
    query_options = frozenset({"$select", "$top", "$skip", "$filter", "$orderby", "$count", "$expand"})

    def on_get(self, req, resp, user=None, folder_id=None):
        ctx = ctx_of(req)
        mailbox = target(ctx, user)
        folder = resolve_folder(mailbox.smtp, folder_id) if folder_id else None
        wants_event(req)
        names = selected(req, "microsoft.graph.message", _properties(ctx) if req.get_param("$select") else None)
        top = int_param(req, "$top", 10, low=0, high=1000)
        skip = int_param(req, "$skip", 0)
        items = _all_messages(ctx, mailbox.smtp, folder)
        if req.get_param("$filter") or req.get_param("$orderby"):
            owner = {}
            for item in items:
                payload = message_json(item, ctx)
                owner[id(payload)] = (payload, item)
            chosen = query.apply([p for p, _ in owner.values()], req.get_param("$filter"),
                                 req.get_param("$orderby"), strict_order=True)
            page = [owner[id(p)] for p in chosen[skip: skip + top]]
            total = len(chosen)
        else:  # newest first as listed: render only the page
            page = [(message_json(i, ctx), i) for i in items[skip: skip + top]]
            total = len(items)
        rendered = []
        for payload, item in page:
            _expand(req, ctx, item, payload)
            rendered.append(payload)
        out: dict[str, Any] = {"@odata.context": ctx.context_url(mailbox, "messages")}
        if req.get_param_as_bool("$count", default=False):
            out["@odata.count"] = total
        if skip + top < total:
            out["@odata.nextLink"] = next_link(req, ctx, skip + top)
        out["value"] = [apply_select(r, names, _KEEP) for r in rendered]
        send_json(req, resp, out)


_KEEP = ("@odata.type", "@odata.etag", "id", "event", "event@odata.context")


def _properties(ctx: Ctx) -> dict[str, Any]:
    """Every property a message of any kind can have, for checking ``$select``."""
    out: dict[str, Any] = {}
    for kind in MESSAGE_KINDS:
        blank = Item(id="", mailbox=ctx.me.smtp, folder=INBOX, kind=kind, response=ACCEPT)
        blank.proposed_start = blank.proposed_end = datetime.now(UTC)
        out.update(message_json(blank, ctx))
    return out


class MessageItem:
    query_options = frozenset({"$select", "$expand"})

    def on_patch(self, req, resp, message_id, user=None, folder_id=None):
        ctx = ctx_of(req)
        item = _find(ctx, user, message_id, folder_id)
        body = read_body(req, MessagePatch)
        changes = {name: getattr(body, name) for name in ("is_read", "categories")
                   if getattr(body, name) is not None}
        updated = ctx.rules.update_item(item.mailbox, item.id, None, changes) if changes else item
        out = {"@odata.context": ctx.context_url(ctx.me, "messages/$entity")}
        out.update(message_json(updated, ctx))
        send_json(req, resp, out)

    def on_delete(self, req, resp, message_id, user=None, folder_id=None):
        """To Deleted Items; from Deleted Items, gone."""
        ctx = ctx_of(req)
        item = _find(ctx, user, message_id, folder_id)
        how = R.HARD_DELETE if item.folder == DELETED else R.MOVE_TO_DELETED
        ctx.rules.delete_item(item.mailbox, item.id, how=how)
        no_content(resp, 204)

    def on_get(self, req, resp, message_id, user=None, folder_id=None):
        ctx = ctx_of(req)
        item = _find(ctx, user, message_id, folder_id)
        payload = message_json(item, ctx)
        _expand(req, ctx, item, payload)
        names = selected(req, "microsoft.graph.message", payload)
        out = {"@odata.context": ctx.context_url(ctx.me, "messages/$entity")}
        out.update(apply_select(payload, names, _KEEP))
        send_json(req, resp, out)


def folder_json(ctx: Ctx, smtp: str, folder: str) -> dict[str, Any]:
    total, unread = ctx.rules.folder_counts(smtp, folder)
    return {
        "id": folder_rest_id(smtp, folder),
        "displayName": FOLDER_NAMES[folder],
        "parentFolderId": folder_rest_id(smtp, "msgfolderroot"),
        "childFolderCount": 0,
        "unreadItemCount": unread,
        "totalItemCount": total,
        "isHidden": False,
    }


class FoldersCollection:
    def on_get(self, req, resp, user=None):
        ctx = ctx_of(req)
        mailbox = target(ctx, user)
        send_json(req, resp, {"@odata.context": ctx.context_url(mailbox, "mailFolders"),
                              "value": [folder_json(ctx, mailbox.smtp, f) for f in MAIL_FOLDERS]})


class FolderItem:
    def on_get(self, req, resp, folder_id, user=None):
        ctx = ctx_of(req)
        mailbox = target(ctx, user)
        payload = {"@odata.context": ctx.context_url(mailbox, "mailFolders/$entity")}
        payload.update(folder_json(ctx, mailbox.smtp, resolve_folder(mailbox.smtp, folder_id)))
        send_json(req, resp, payload)
