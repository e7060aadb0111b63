"""DeleteFolder and EmptyFolder: created folders go with their items and subfolders;
a default folder cannot be deleted (ErrorDeleteDistinguishedFolder), only emptied."""

from __future__ import annotations

from ...rules import folders as f
from ..context import EwsRequest, Responses
from ..xml import M, parse_bool, parse_enum
from . import operation
from ._folders import folder_ids, resolve_folder

DELETE_TYPES = {"HardDelete": f.HARD_DELETE, "SoftDelete": f.SOFT_DELETE, "MoveToDeletedItems": f.MOVE_TO_DELETED}


def DeleteFolder(req: EwsRequest, request):
    how = parse_enum(request, request.get("DeleteType"), DELETE_TYPES, "the DeleteType attribute")
    out = Responses("DeleteFolder")
    for ident in folder_ids(request.find(M + "FolderIds"), "FolderIds"):
        try:
            req.folders.delete(req.actor, resolve_folder(req, ident), how)
        except Exception as exc:
            out.failure(exc)
            continue
        out.success()
    return out.root


def EmptyFolder(req: EwsRequest, request):
    how = parse_enum(request, request.get("DeleteType"), DELETE_TYPES, "the DeleteType attribute")
    if request.get("DeleteSubFolders") is None:
        from ..xml import SchemaViolation
        raise SchemaViolation("The required attribute 'DeleteSubFolders' is missing.", request)
    subfolders = parse_bool_attr(request, "DeleteSubFolders")
    out = Responses("EmptyFolder")
    for ident in folder_ids(request.find(M + "FolderIds"), "FolderIds"):
        try:
            req.folders.empty(req.actor, resolve_folder(req, ident), subfolders, how)
        except Exception as exc:
            out.failure(exc)
            continue
        out.success()
    return out.root


def parse_bool_attr(el, name: str) -> bool:
    from lxml import etree
    holder = etree.Element(name)
    holder.text = el.get(name)
    return parse_bool(holder)


service = operation(DeleteFolder)
empty_service = operation(EmptyFolder)
