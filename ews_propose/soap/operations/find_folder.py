"""FindFolder: a folder's subfolders (Shallow) or its whole subtree (Deep), with
IndexedPageFolderView paging and a Restriction over folder fields."""

from __future__ import annotations

from ..context import EwsRequest, Responses
from ..errors import ItemError
from ..folders import folder_element, parse_folder_shape, query_fields
from ..query import parse_restriction
from ..xml import M, T, int_value, parse_enum, sub
from . import operation
from ._folders import folder_ids, resolve_folder
from .get_folder import view_of

TRAVERSALS = ("Shallow", "Deep", "SoftDeleted")
BASE_POINTS = ("Beginning", "End")


def FindFolder(req: EwsRequest, request):
    traversal = parse_enum(request, request.get("Traversal"), TRAVERSALS, "the Traversal attribute")
    shape = parse_folder_shape(request.find(M + "FolderShape"))
    offset, limit, from_end = 0, None, False
    paging = request.find(M + "IndexedPageFolderView")
    if paging is not None:
        offset = int_value(paging.get("Offset", "0"), "attribute 'Offset'", paging, low=0)
        if paging.get("MaxEntriesReturned") is not None:
            limit = int_value(paging.get("MaxEntriesReturned"), "attribute 'MaxEntriesReturned'", paging, low=1)
        from_end = parse_enum(paging, paging.get("BasePoint", "Beginning"), BASE_POINTS, "BasePoint") == "End"
    views: dict[str, object] = {}

    def view(folder):
        if folder.key not in views:
            views[folder.key] = view_of(req, folder.key)
        return views[folder.key]

    def counts(folder):
        v = view(folder)
        return v.total, v.unread, v.children

    predicate, error = None, None
    restriction = request.find(M + "Restriction")
    try:
        if restriction is not None:
            predicate = parse_restriction(restriction, query_fields(counts))
    except ItemError as exc:
        error = exc
    out = Responses("FindFolder")
    for ident in folder_ids(request.find(M + "ParentFolderIds"), "ParentFolderIds"):
        try:
            if error is not None:
                raise error
            key = resolve_folder(req, ident)
            # Soft-deleted folders are not kept: that traversal finds none.
            found = [] if traversal == "SoftDeleted" else req.folders.below(req.actor, key, traversal == "Deep")
        except Exception as exc:
            out.failure(exc)
            continue
        if predicate is not None:
            found = [f for f in found if predicate(f)]
        total = len(found)
        if from_end:
            stop = max(total - offset, 0)
            page = found[max(stop - (limit or stop), 0):stop]
        else:
            page = found[offset: None if limit is None else offset + limit]
        msg = out.success()
        root = sub(msg, M + "RootFolder", IndexedPagingOffset=str(offset + len(page)),
                   TotalItemsInView=str(total),
                   IncludesLastItemInRange="true" if offset + len(page) >= total else "false")
        holder = sub(root, T + "Folders")
        for folder in page:
            folder_element(holder, folder, view(folder), shape)
    return out.root


service = operation(FindFolder)
