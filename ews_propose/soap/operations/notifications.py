"""Subscribe (pull), GetEvents and Unsubscribe: item events of the subscribed folders
(Created, Modified, Moved, Deleted, NewMail), by watermark. Push and streaming
subscriptions are refused with ErrorInvalidOperation: this server cannot call a
client back, nor hold a streaming connection."""

from __future__ import annotations

from ...rules.ids import folder_id
from ...rules.notifications import EVENT_TYPES
from ..context import EwsRequest, Responses
from ..errors import ItemError
from ..xml import M, SchemaViolation, T, format_datetime, int_value, sub
from . import operation
from ._folders import folder_ids, resolve_folder

_REQUESTS = ("PullSubscriptionRequest", "PushSubscriptionRequest", "StreamingSubscriptionRequest")


def _child(el, name):
    found = el.find(M + name)
    return found if found is not None else el.find(T + name)


def Subscribe(req: EwsRequest, request):
    kind_el = next((c for c in request if isinstance(c.tag, str)), None)
    name = etree_name(kind_el)
    if name not in _REQUESTS:
        raise SchemaViolation("Subscribe needs a PullSubscriptionRequest, PushSubscriptionRequest or "
                              "StreamingSubscriptionRequest.", request)
    out = Responses("Subscribe")
    if name != "PullSubscriptionRequest":
        out.error("ErrorInvalidOperation", "Only pull subscriptions are supported by this emulator "
                  f"({name.removesuffix('SubscriptionRequest').lower()} subscriptions are not).")
        return out.root
    types_el = _child(kind_el, "EventTypes")
    types = [e.text or "" for e in types_el] if types_el is not None else []
    if not types or any(t not in EVENT_TYPES for t in types):
        raise SchemaViolation("EventTypes needs one or more of " + ", ".join(EVENT_TYPES) + ".", kind_el)
    timeout_el = _child(kind_el, "Timeout")
    if timeout_el is None:
        raise SchemaViolation("A PullSubscriptionRequest needs a Timeout.", kind_el)
    timeout = int_value(timeout_el.text, "element 'Timeout'", timeout_el, low=1, high=1440)
    watermark = _child(kind_el, "Watermark")
    try:
        folders = None
        if kind_el.get("SubscribeToAllFolders") not in ("true", "1"):
            folders = [resolve_folder(req, el) for el in folder_ids(_child(kind_el, "FolderIds"), "FolderIds")]
        sub_id, mark = req.notifications.subscribe(req.actor, folders, types, timeout,
                                                   watermark.text if watermark is not None else None)
    except (ItemError, Exception) as exc:
        out.failure(exc)
        return out.root
    msg = out.success()
    sub(msg, M + "SubscriptionId", sub_id)
    sub(msg, M + "Watermark", mark)
    return out.root


def etree_name(el) -> str:
    from lxml import etree
    return etree.QName(el).localname if el is not None else ""


def GetEvents(req: EwsRequest, request):
    sub_id = (request.findtext(M + "SubscriptionId") or "").strip()
    watermark = (request.findtext(M + "Watermark") or "").strip()
    if not sub_id or not watermark:
        raise SchemaViolation("GetEvents needs a SubscriptionId and a Watermark.", request)
    out = Responses("GetEvents")
    try:
        events, mark = req.notifications.events(req.actor, sub_id, watermark)
    except Exception as exc:
        out.failure(exc)
        return out.root
    note = sub(out.success(), M + "Notification")
    sub(note, T + "SubscriptionId", sub_id)
    sub(note, T + "PreviousWatermark", watermark)
    sub(note, T + "MoreEvents", "false")
    stamp = format_datetime(req.rules.now())
    for event in events:
        el = sub(note, T + event.kind)
        sub(el, T + "Watermark", mark)
        if event.kind == "StatusEvent":
            continue
        sub(el, T + "TimeStamp", stamp)
        sub(el, T + "ItemId", Id=event.item_id or "")
        sub(el, T + "ParentFolderId", Id=folder_id(req.actor, event.folder or ""))
        if event.kind == "MovedEvent":
            sub(el, T + "OldItemId", Id=event.item_id or "")
            sub(el, T + "OldParentFolderId", Id=folder_id(req.actor, event.old_folder or ""))
    return out.root


def Unsubscribe(req: EwsRequest, request):
    sub_id = (request.findtext(M + "SubscriptionId") or "").strip()
    if not sub_id:
        raise SchemaViolation("Unsubscribe needs a SubscriptionId.", request)
    out = Responses("Unsubscribe")
    try:
        req.notifications.unsubscribe(req.actor, sub_id)
    except Exception as exc:
        out.failure(exc)
        return out.root
    out.success()
    return out.root


services = [operation(h) for h in (Subscribe, GetEvents, Unsubscribe)]
