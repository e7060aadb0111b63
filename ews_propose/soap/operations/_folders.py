"""Folder ids in requests (DistinguishedFolderId / FolderId), shared by the operations
that take them."""

from __future__ import annotations

from lxml import etree

from ...rules import model as m
from ...rules.ids import folder_id, is_folder_id
from ..errors import ItemError
from ..xml import SchemaViolation, T, localname

# The distinguished folders this server hosts.
HOSTED = {name: name for name in m.FOLDERS}
# DistinguishedFolderIdNameType, as in wsdl/types.xsd.
KNOWN_NAMES = frozenset("""
calendar contacts deleteditems drafts inbox journal notes outbox sentitems tasks msgfolderroot
publicfoldersroot root junkemail searchfolders voicemail recoverableitemsroot recoverableitemsdeletions
recoverableitemsversions recoverableitemspurges recoverableitemsdiscoveryholds archiveroot
archivemsgfolderroot archivedeleteditems archiveinbox archiverecoverableitemsroot
archiverecoverableitemsdeletions archiverecoverableitemsversions archiverecoverableitemspurges
archiverecoverableitemsdiscoveryholds syncissues conflicts localfailures serverfailures recipientcache
quickcontacts conversationhistory adminauditlogs todosearch mycontacts directory imcontactlist
peopleconnect favorites mecontact personmetadata teamspaceactivity teamspacemessaging
teamspaceworkitems scheduled orionnotes tagitems alltaggeditems externalcontacts
""".split())
_NOT_HOSTED = "The specified folder could not be found in the store."


def resolve_folder(actor: str, el: etree._Element) -> str:
    """The folder name a FolderId/DistinguishedFolderId names, in the caller's mailbox.

    Raises ItemError for a folder this mailbox does not have (or another mailbox's).
    """
    name = localname(el)
    if name == "DistinguishedFolderId":
        ident = el.get("Id")
        if ident is None:
            raise SchemaViolation("The required attribute 'Id' is missing.", el)
        if ident not in KNOWN_NAMES:
            raise SchemaViolation(
                f"The value '{ident}' is invalid according to its datatype "
                "'DistinguishedFolderIdNameType'.", el)
        box = el.find(T + "Mailbox")
        if box is not None:
            address = box.findtext(T + "EmailAddress") or ""
            if address.strip().lower() != actor.lower():
                raise ItemError("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        if ident not in HOSTED:
            raise ItemError("ErrorFolderNotFound", _NOT_HOSTED)
        return ident
    if name == "FolderId":
        ident = el.get("Id")
        if ident is None:
            raise SchemaViolation("The required attribute 'Id' is missing.", el)
        if not is_folder_id(ident):
            raise ItemError("ErrorInvalidIdMalformed", "Id is malformed.")
        for folder in m.FOLDERS:
            if folder_id(actor, folder) == ident:
                return folder
        raise ItemError("ErrorFolderNotFound", _NOT_HOSTED)
    raise SchemaViolation(f"The element '{name}' is not a folder id.", el)


def folder_ids(holder: etree._Element | None, what: str) -> list[etree._Element]:
    if holder is None:
        raise SchemaViolation(f"The element '{what}' is required.")
    ids = [c for c in holder if isinstance(c.tag, str)]
    if not ids:
        raise SchemaViolation(f"The element '{what}' has incomplete content.", holder)
    return ids
