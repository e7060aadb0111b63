"""Subscribe (pull, push and streaming), GetEvents and Unsubscribe: item events of the
subscribed folders (Created, Modified, Moved, Deleted, NewMail), by watermark.
GetStreamingEvents is served in ``get_streaming_events`` (it holds the connection open),
push notifications are sent by ``ews_propose.soap.push``."""

from __future__ import annotations

from ...rules.ids import folder_id
from ...rules.notifications import EVENT_TYPES
from ..context import EwsRequest, Responses
from ..errors import ItemError
from ..xml import M, SchemaViolation, T, format_datetime, int_value, sub
from . import operation
from ._folders import folder_ids, resolve_folder

# How long a streaming subscription lives without a connection (Exchange: 30 minutes).
STREAMING_TIMEOUT_MINUTES = 30
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
    kind = name.removesuffix("SubscriptionRequest").lower()
    types_el = _child(kind_el, "EventTypes")
    types = [e.text or "" for e in types_el] if types_el is not None else []
    if not types or any(t not in EVENT_TYPES for t in types):
        raise SchemaViolation("EventTypes needs one or more of " + ", ".join(EVENT_TYPES) + ".", kind_el)
    url = None
    if kind == "pull":
        timeout_el = _child(kind_el, "Timeout")
        if timeout_el is None:
            raise SchemaViolation("A PullSubscriptionRequest needs a Timeout.", kind_el)
        timeout = int_value(timeout_el.text, "element 'Timeout'", timeout_el, low=1, high=1440)
    elif kind == "push":
        freq_el, url_el = _child(kind_el, "StatusFrequency"), _child(kind_el, "URL")
        if freq_el is None or url_el is None or not (url_el.text or "").strip():
            raise SchemaViolation("A PushSubscriptionRequest needs a StatusFrequency and a URL.", kind_el)
        timeout = int_value(freq_el.text, "element 'StatusFrequency'", freq_el, low=1, high=1440)
        url = url_el.text.strip()
        if not url.lower().startswith(("http://", "https://")):
            out.error("ErrorInvalidPushSubscriptionUrl", "The push subscription URL must be an http or https URL.")
            return out.root
    else:
        timeout = STREAMING_TIMEOUT_MINUTES
    watermark = _child(kind_el, "Watermark")
    try:
        folders = None
        if kind_el.get("SubscribeToAllFolders") not in ("true", "1"):
            folders = [resolve_folder(req, el) for el in folder_ids(_child(kind_el, "FolderIds"), "FolderIds")]
        sub_id, mark = req.notifications.subscribe(req.actor, folders, types, timeout,
                                                   watermark.text if watermark is not None else None,
                                                   kind=kind, url=url)
    except (ItemError, Exception) as exc:
        out.failure(exc)
        return out.root
    if kind == "push":
        from ..push import sender_for
        sender_for(req.notifications, req.schema).add(req.actor, sub_id, url or "", timeout, mark)
    msg = out.success()
    sub(msg, M + "SubscriptionId", sub_id)
    if kind != "streaming":  # a streaming subscription's answer has no watermark
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
    write_events(note, events, mark, req.actor, req.rules.now())
    return out.root


def write_events(note, events, mark: str, actor: str, now) -> None:
    """The events of one t:Notification, each with the watermark after them."""
    stamp = format_datetime(now)
    for event in events:
        el = sub(note, T + event.kind)
        sub(el, T + "Watermark", mark)
        if event.kind == "StatusEvent":
            continue
        sub(el, T + "TimeStamp", stamp)
        sub(el, T + "ItemId", Id=event.item_id or "")
        sub(el, T + "ParentFolderId", Id=folder_id(actor, event.folder or ""))
        if event.kind == "MovedEvent":
            sub(el, T + "OldItemId", Id=event.item_id or "")
            sub(el, T + "OldParentFolderId", Id=folder_id(actor, event.old_folder or ""))


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
