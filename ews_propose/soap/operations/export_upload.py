"""ExportItems and UploadItems: items as opaque blobs and back (CreateNew, Update,
UpdateOrCreate). The blob is this server's own format, as Exchange's is its own."""

from __future__ import annotations

from ..context import EwsRequest, Responses
from ..items.reading import parse_item_ids
from ..xml import M, SchemaViolation, T, sub
from . import operation
from ._folders import target_folder

ACTIONS = ("CreateNew", "Update", "UpdateOrCreate")


def ExportItems(req: EwsRequest, request):
    ids = parse_item_ids(request.find(M + "ItemIds"))
    out = Responses("ExportItems")
    for (item_id, _), result in zip(ids, req.mailbox.export(req.actor, [i for i, _ in ids]), strict=True):
        if isinstance(result, Exception):
            out.failure(result)
            continue
        msg = out.success()
        current = req.rules.get_item(req.actor, item_id)
        sub(msg, M + "ItemId", Id=current.id, ChangeKey=current.change_key)
        sub(msg, M + "Data", result)
    return out.root


def UploadItems(req: EwsRequest, request):
    holder = request.find(M + "Items")
    if holder is None:
        raise SchemaViolation("The element 'UploadItems' is missing its required child 'Items'.", request)
    entries, errors = [], {}
    for n, el in enumerate(holder.findall(T + "Item")):
        action = el.get("CreateAction")
        if action not in ACTIONS:
            raise SchemaViolation(f"The value '{action}' is invalid for the CreateAction attribute.", el)
        data = (el.findtext(T + "Data") or "").strip()
        item_el = el.find(T + "ItemId")
        try:
            parent = el.find(T + "ParentFolderId")
            if parent is None:
                raise SchemaViolation("An uploaded Item needs a ParentFolderId.", el)
            folder = target_folder(req, _wrap(parent), "ParentFolderId")
        except SchemaViolation:
            raise
        except Exception as exc:
            errors[n] = exc
            folder = ""
        entries.append((folder, action, item_el.get("Id") if item_el is not None else None, data))
    results = req.mailbox.upload(req.actor, [e for n, e in enumerate(entries) if n not in errors])
    out = Responses("UploadItems")
    it = iter(results)
    for n in range(len(entries)):
        result = errors.get(n) or next(it)
        if isinstance(result, Exception):
            out.failure(result)
            continue
        sub(out.success(), M + "ItemId", Id=result.id, ChangeKey=result.change_key)
    return out.root


def _wrap(parent):
    """A ParentFolderId element (FolderId attributes) as a holder of one FolderId."""
    from lxml import etree
    holder = etree.Element(M + "ParentFolderId")
    sub(holder, T + "FolderId", Id=parent.get("Id") or "")
    return holder


services = [operation(ExportItems), operation(UploadItems)]
