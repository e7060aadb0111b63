"""SyncFolderItems and SyncFolderHierarchy: the changes since the client's sync state
(Create / Update / Delete / ReadFlagChange), MaxChangesReturned, Ignore."""

from __future__ import annotations

from ...rules import sync as s
from ...rules.ids import folder_id
from ..context import EwsRequest, Responses
from ..folders import folder_element, parse_folder_shape
from ..items.shapes import parse_shape
from ..items.text import items_element
from ..xml import M, SchemaViolation, T, int_value, sub
from . import operation
from ._folders import resolve_folder, target_folder
from .get_folder import view_of

_CHANGE = {s.CREATE: "Create", s.UPDATE: "Update", s.DELETE: "Delete", s.READ_FLAG: "ReadFlagChange"}
SCOPES = ("NormalItems", "NormalAndAssociatedItems")


def SyncFolderItems(req: EwsRequest, request):
    shape = parse_shape(request.find(M + "ItemShape"))
    max_el = request.find(M + "MaxChangesReturned")
    if max_el is None:
        raise SchemaViolation("The element 'SyncFolderItems' is missing its required child 'MaxChangesReturned'.",
                              request)
    max_changes = int_value(max_el.text, "element 'MaxChangesReturned'", max_el, low=1, high=512)
    scope = request.findtext(M + "SyncScope")
    if scope is not None and scope not in SCOPES:
        raise SchemaViolation(f"The value '{scope}' is invalid for SyncScope.", request)
    ignore = frozenset(el.get("Id") for el in request.findall(f"{M}Ignore/{T}ItemId") if el.get("Id"))
    out = Responses("SyncFolderItems")
    try:
        folder = target_folder(req, request.find(M + "SyncFolderId"), "SyncFolderId")
        changes, state, last = req.sync.items(req.actor, folder, request.findtext(M + "SyncState"),
                                              max_changes, ignore)
    except Exception as exc:
        out.failure(exc)
        return out.root
    msg = out.success()
    sub(msg, M + "SyncState", state)
    sub(msg, M + "IncludesLastItemInRange", "true" if last else "false")
    holder = sub(msg, M + "Changes")
    for change in changes:
        el = sub(holder, T + _CHANGE[change.kind])
        if change.kind == s.DELETE:
            sub(el, T + "ItemId", Id=change.key)
        elif change.kind == s.READ_FLAG:
            assert change.item is not None
            sub(el, T + "ItemId", Id=change.item.id, ChangeKey=change.item.change_key)
            sub(el, T + "IsRead", "true" if change.is_read else "false")
        else:
            assert change.item is not None
            el.append(items_element([change.item], shape, req.reader)[0])
    return out.root


def SyncFolderHierarchy(req: EwsRequest, request):
    shape = parse_folder_shape(request.find(M + "FolderShape"))
    out = Responses("SyncFolderHierarchy")
    try:
        holder = request.find(M + "SyncFolderId")
        folder = resolve_folder(req, next(c for c in holder if isinstance(c.tag, str))) \
            if holder is not None and len(holder) else "root"
        changes, state = req.sync.hierarchy(req.actor, folder, request.findtext(M + "SyncState"))
    except Exception as exc:
        out.failure(exc)
        return out.root
    msg = out.success()
    sub(msg, M + "SyncState", state)
    sub(msg, M + "IncludesLastFolderInRange", "true")
    changes_el = sub(msg, M + "Changes")
    for change in changes:
        el = sub(changes_el, T + _CHANGE[change.kind])
        if change.kind == s.DELETE:
            sub(el, T + "FolderId", Id=folder_id(req.actor, change.key))
        else:
            assert change.folder is not None
            folder_element(el, change.folder, view_of(req, change.folder.key), shape)
    return out.root


service = operation(SyncFolderItems)
hierarchy_service = operation(SyncFolderHierarchy)
