"""Folders on the wire: the folder field table, FolderShape, and folder elements.

Each field: its FieldURI, whether the Default shape has it, and its writer. The
element a folder is written as follows its FolderClass (CalendarFolder for
IPF.Appointment..., ContactsFolder, TasksFolder, else Folder), in types.xsd order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from ..rules.folders import Folder
from ..versions import schema_rank
from .xml import SchemaViolation, T, parse_enum, sub

BASE_SHAPES = ("IdOnly", "Default", "AllProperties")
_CHANGE_KEY = "AQAAAA=="


@dataclass(frozen=True)
class FolderShape:
    base: str
    extra: frozenset[str] = frozenset()

    def wants(self, uri: str, default: bool) -> bool:
        return (uri == "folder:FolderId" or uri in self.extra or self.base == "AllProperties"
                or (self.base == "Default" and default))


def parse_folder_shape(el: etree._Element | None) -> FolderShape:
    """FolderShape. FieldURIs this server does not model are ignored, as for items."""
    if el is None:
        raise SchemaViolation("The element 'FolderShape' is required.")
    base_el = el.find(T + "BaseShape")
    if base_el is None:
        raise SchemaViolation("The element 'FolderShape' is missing its required child 'BaseShape'.", el)
    base = parse_enum(base_el, base_el.text, BASE_SHAPES, "BaseShape")
    extra = set()
    props = el.find(T + "AdditionalProperties")
    if props is not None:
        for child in props:
            if child.tag == T + "FieldURI":
                if not child.get("FieldURI"):
                    raise SchemaViolation("The required attribute 'FieldURI' is missing.", child)
                extra.add(child.get("FieldURI"))
    return FolderShape(base, frozenset(extra))


def element_name(folder: Folder) -> str:
    fc = folder.folder_class or ""
    if fc == "IPF.Appointment" or fc.startswith("IPF.Appointment."):
        return "CalendarFolder"
    if fc == "IPF.Contact" or fc.startswith("IPF.Contact."):
        return "ContactsFolder"
    if fc == "IPF.Task" or fc.startswith("IPF.Task."):
        return "TasksFolder"
    return "Folder"


@dataclass
class FolderView:
    """What a folder element needs beyond the folder: its counts and the request's schema."""

    total: int
    unread: int
    children: int
    schema: str


Writer = Callable[[etree._Element, Folder, FolderView], None]


def _id(el, f, v):
    sub(el, T + "FolderId", Id=f.id, ChangeKey=f.change_key)


def _parent(el, f, v):
    if f.parent is not None:
        from ..rules.ids import folder_id
        sub(el, T + "ParentFolderId", Id=folder_id(f.mailbox, f.parent), ChangeKey=_CHANGE_KEY)


def _class(el, f, v):
    if f.folder_class:
        sub(el, T + "FolderClass", f.folder_class)


def _name(el, f, v):
    sub(el, T + "DisplayName", f.name)


def _total(el, f, v):
    sub(el, T + "TotalCount", str(v.total))


def _children(el, f, v):
    sub(el, T + "ChildFolderCount", str(v.children))


def _rights(el, f, v):
    rights = sub(el, T + "EffectiveRights")
    for name in ("CreateAssociated", "CreateContents", "CreateHierarchy", "Delete", "Modify", "Read",
                 "ViewPrivateItems"):
        sub(rights, T + name, "true")


def _distinguished(el, f, v):
    if f.distinguished and schema_rank(v.schema) >= schema_rank("Exchange2016"):
        sub(el, T + "DistinguishedFolderId", f.key)


def _permission_set(el, f, v):
    if f.permissions is not None and element_name(f) in _HAS_UNREAD:
        from .trees import from_tree
        from_tree(el, f.permissions)


def _unread(el, f, v):
    sub(el, T + "UnreadCount", str(v.unread))


# (FieldURI, in the Default shape, writer), in schema order
FIELDS: tuple[tuple[str, bool, Writer], ...] = (
    ("folder:FolderId", True, _id),
    ("folder:ParentFolderId", False, _parent),
    ("folder:FolderClass", False, _class),
    ("folder:DisplayName", True, _name),
    ("folder:TotalCount", True, _total),
    ("folder:ChildFolderCount", True, _children),
    ("folder:EffectiveRights", False, _rights),
    ("folder:DistinguishedFolderId", False, _distinguished),
    ("folder:PermissionSet", False, _permission_set),
    ("folder:UnreadCount", True, _unread),
)
_HAS_UNREAD = ("Folder", "TasksFolder", "SearchFolder")


def folder_element(parent: etree._Element, folder: Folder, view: FolderView, shape: FolderShape) -> etree._Element:
    name = element_name(folder)
    el = sub(parent, T + name)
    for uri, default, write in FIELDS:
        if uri == "folder:UnreadCount" and name not in _HAS_UNREAD:
            continue
        if shape.wants(uri, default):
            write(el, folder, view)
    return el


def id_only(parent: etree._Element, folder: Folder) -> etree._Element:
    el = sub(parent, T + element_name(folder))
    _id(el, folder, None)  # type: ignore[arg-type]
    return el


# Restriction over folders: FieldURI -> (getter, kind), for soap/query.py
def query_fields(counts: Callable[[Folder], tuple[int, int, int]]) -> dict[str, tuple[Callable, str]]:
    return {
        "folder:DisplayName": (lambda f: f.name, "str"),
        "folder:FolderClass": (lambda f: f.folder_class, "str"),
        "folder:TotalCount": (lambda f: counts(f)[0], "int"),
        "folder:UnreadCount": (lambda f: counts(f)[1], "int"),
        "folder:ChildFolderCount": (lambda f: counts(f)[2], "int"),
    }
