"""CreateFolder: new folders under a parent (Folder, CalendarFolder, ContactsFolder,
TasksFolder); the same name twice under one parent is ErrorFolderExists."""

from __future__ import annotations

from ..context import EwsRequest, Responses
from ..folders import id_only
from ..xml import M, SchemaViolation, T, localname, sub
from . import operation
from ._folders import target_folder

# A folder element without FolderClass gets its kind's class, as Exchange gives it.
DEFAULT_CLASS = {"Folder": None, "CalendarFolder": "IPF.Appointment", "ContactsFolder": "IPF.Contact",
                 "TasksFolder": "IPF.Task", "SearchFolder": None}


def CreateFolder(req: EwsRequest, request):
    holder = request.find(M + "Folders")
    if holder is None:
        raise SchemaViolation("The element 'CreateFolder' is missing its required child 'Folders'.", request)
    wanted = []
    for el in holder:
        if not isinstance(el.tag, str):
            continue
        kind = localname(el)
        if kind not in DEFAULT_CLASS:
            raise SchemaViolation(f"The element '{kind}' is not a folder.", el)
        name = (el.findtext(T + "DisplayName") or "").strip()
        folder_class = (el.findtext(T + "FolderClass") or "").strip() or DEFAULT_CLASS[kind]
        wanted.append((name, folder_class))
    out = Responses("CreateFolder")
    try:
        parent = target_folder(req, request.find(M + "ParentFolderId"), "ParentFolderId")
    except Exception as exc:
        for _ in wanted:
            sub(out.failure(exc), M + "Folders")
        return out.root
    for name, folder_class in wanted:
        try:
            if not name:
                raise SchemaViolation("A new folder needs a DisplayName.", holder)
            folder = req.folders.create(req.actor, parent, name, folder_class)
        except SchemaViolation:
            raise
        except Exception as exc:
            sub(out.failure(exc), M + "Folders")
            continue
        id_only(sub(out.success(), M + "Folders"), folder)
    return out.root


service = operation(CreateFolder)
