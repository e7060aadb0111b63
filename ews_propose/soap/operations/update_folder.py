"""UpdateFolder (rename a created folder; its FolderClass cannot change) and MoveFolder."""

from __future__ import annotations

from ...rules import errors as R
from ...rules.errors import RuleError
from ..context import EwsRequest, Responses
from ..errors import ItemError
from ..folders import id_only
from ..trees import to_tree
from ..xml import M, SchemaViolation, T, localname, parse_enum, sub
from . import operation
from ._folders import folder_ids, resolve_folder, target_folder

# FieldURI -> the folder rules' field
UPDATABLE = {"folder:DisplayName": ("name", "DisplayName"), "folder:FolderClass": ("folder_class", "FolderClass"),
             "folder:PermissionSet": ("permissions", "PermissionSet")}
PERMISSION_LEVELS = ("None", "Owner", "PublishingEditor", "Editor", "PublishingAuthor", "Author",
                     "NoneditingAuthor", "Reviewer", "Contributor", "Custom")


def _read_changes(change) -> dict[str, object]:
    updates = change.find(T + "Updates")
    if updates is None:
        raise SchemaViolation("The element 'FolderChange' is missing its required child 'Updates'.", change)
    changes: dict[str, object] = {}
    for op in updates:
        if not isinstance(op.tag, str):
            continue
        uri_el = op.find(T + "FieldURI")
        uri = uri_el.get("FieldURI") if uri_el is not None else None
        if uri not in UPDATABLE:
            continue  # fields this server does not model are ignored, as for items
        field, element = UPDATABLE[uri]
        if localname(op) == "DeleteFolderField":
            changes[field] = None
            continue
        value = None
        for holder in op:
            if holder is not uri_el and isinstance(holder.tag, str):
                if field == "permissions":
                    value = _permissions(holder.find(T + element), op)
                    continue
                value = holder.findtext(T + element)
        if value is None:
            raise SchemaViolation(f"SetFolderField for {uri} carries no value.", op)
        changes[field] = value
    return changes


def _permissions(el, op):
    """A PermissionSet as kept (see soap/trees.py): each Permission names a user and, when
    it has one, a PermissionLevel of the schema's."""
    if el is None:
        raise SchemaViolation("SetFolderField for folder:PermissionSet carries no PermissionSet.", op)
    for permission in el.iter(T + "Permission"):
        if permission.find(T + "UserId") is None:
            raise SchemaViolation("A Permission needs a UserId.", permission)
        level = permission.find(T + "PermissionLevel")
        if level is not None:
            parse_enum(level, level.text, PERMISSION_LEVELS, "PermissionLevel")
    return to_tree(el)


def UpdateFolder(req: EwsRequest, request):
    holder = request.find(M + "FolderChanges")
    if holder is None:
        raise SchemaViolation("The element 'UpdateFolder' is missing its required child 'FolderChanges'.", request)
    planned = []
    for change in holder.findall(T + "FolderChange"):
        ident = next((c for c in change if isinstance(c.tag, str) and c.tag != T + "Updates"), None)
        if ident is None:
            raise SchemaViolation("A FolderChange needs a FolderId or DistinguishedFolderId.", change)
        planned.append((ident, _read_changes(change)))
    out = Responses("UpdateFolder")
    for ident, changes in planned:
        try:
            try:
                key = resolve_folder(req, ident)
            except ItemError as exc:
                if exc.code == "ErrorFolderNotFound":  # what Exchange answers for a folder gone
                    raise ItemError("ErrorItemNotFound", "The specified object was not found in the store.") from None
                raise
            folder = req.folders.update(req.actor, key, changes)
        except Exception as exc:
            if isinstance(exc, RuleError) and exc.reason == R.FOLDER_NOT_FOUND:
                exc = ItemError("ErrorItemNotFound", "The specified object was not found in the store.")
            sub(out.failure(exc), M + "Folders")
            continue
        id_only(sub(out.success(), M + "Folders"), folder)
    return out.root


def MoveFolder(req: EwsRequest, request):
    ids = folder_ids(request.find(M + "FolderIds"), "FolderIds")
    out = Responses("MoveFolder")
    try:
        to = target_folder(req, request.find(M + "ToFolderId"), "ToFolderId")
    except Exception as exc:
        for _ in ids:
            sub(out.failure(exc), M + "Folders")
        return out.root
    for ident in ids:
        try:
            folder = req.folders.move(req.actor, resolve_folder(req, ident), to)
        except Exception as exc:
            sub(out.failure(exc), M + "Folders")
            continue
        id_only(sub(out.success(), M + "Folders"), folder)
    return out.root


service = operation(UpdateFolder)
move_service = operation(MoveFolder)
