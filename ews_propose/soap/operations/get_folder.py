"""GetFolder: the default folders every mailbox has, and created ones, by id."""

from __future__ import annotations

from ..context import EwsRequest, Responses
from ..errors import ItemError
from ..folders import FolderView, folder_element, parse_folder_shape
from ..xml import M, sub
from . import operation
from ._folders import folder_ids, resolve_folder


def view_of(req: EwsRequest, key: str) -> FolderView:
    total, unread, children = req.folders.counts(req.actor, key)
    return FolderView(total, unread, children, req.schema)


def GetFolder(req: EwsRequest, request):
    shape = parse_folder_shape(request.find(M + "FolderShape"))
    out = Responses("GetFolder")
    for ident in folder_ids(request.find(M + "FolderIds"), "FolderIds"):
        try:
            key = resolve_folder(req, ident)
            folder = req.folders.get(req.actor, key)
        except (ItemError, Exception) as exc:
            msg = out.failure(exc)
            sub(msg, M + "Folders")
            continue
        msg = out.success()
        folder_element(sub(msg, M + "Folders"), folder, view_of(req, key), shape)
    return out.root


service = operation(GetFolder)
