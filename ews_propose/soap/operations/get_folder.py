"""GetFolder: the distinguished folders every mailbox has, and FolderIds."""

from __future__ import annotations

from ...rules import model as m
from ...rules.ids import folder_id
from ..context import EwsRequest, Responses, require
from ..errors import ItemError
from ..xml import M, T, sub
from . import operation
from ._folders import folder_ids, resolve_folder

_DISPLAY = {
    m.ROOT: ("", None, "Folder"),
    m.TOP: ("Top of Information Store", "IPF.Note", "Folder"),
    m.INBOX: ("Inbox", "IPF.Note", "Folder"),
    m.CALENDAR: ("Calendar", "IPF.Appointment", "CalendarFolder"),
    m.SENT: ("Sent Items", "IPF.Note", "Folder"),
    m.DELETED: ("Deleted Items", "IPF.Note", "Folder"),
    m.DRAFTS: ("Drafts", "IPF.Note", "Folder"),
}
_PARENT = {m.ROOT: None, m.TOP: m.ROOT}


def folder_element(parent, req: EwsRequest, folder: str):
    display, folder_class, element = _DISPLAY[folder]
    el = sub(parent, T + element)
    sub(el, T + "FolderId", Id=folder_id(req.actor, folder), ChangeKey="AQAAAA==")
    parent_name = _PARENT.get(folder, m.TOP)
    if parent_name is not None:
        sub(el, T + "ParentFolderId", Id=folder_id(req.actor, parent_name), ChangeKey="AQAAAA==")
    if folder_class:
        sub(el, T + "FolderClass", folder_class)
    sub(el, T + "DisplayName", display)
    total, unread = req.rules.folder_counts(req.actor, folder) if folder in m.ITEM_FOLDERS else (0, 0)
    sub(el, T + "TotalCount", str(total))
    children = 1 if folder == m.ROOT else (len(m.ITEM_FOLDERS) if folder == m.TOP else 0)
    sub(el, T + "ChildFolderCount", str(children))
    if element == "Folder":
        sub(el, T + "UnreadCount", str(unread))
    return el


def GetFolder(req: EwsRequest, request):
    require(request, M + "FolderShape", "FolderShape")
    out = Responses("GetFolder")
    for ident in folder_ids(request.find(M + "FolderIds"), "FolderIds"):
        try:
            folder = resolve_folder(req.actor, ident)
        except ItemError as exc:
            msg = out.failure(exc)
            sub(msg, M + "Folders")
            continue
        msg = out.success()
        folder_element(sub(msg, M + "Folders"), req, folder)
    return out.root


service = operation(GetFolder)
