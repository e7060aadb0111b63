"""Folder ids in requests (DistinguishedFolderId / FolderId), shared by the operations
that take them."""

from __future__ import annotations

from lxml import etree

from ...rules import errors as R
from ...rules.errors import RuleError
from ...rules.folders import DISTINGUISHED
from ..context import EwsRequest
from ..errors import ItemError
from ..xml import SchemaViolation, T, localname

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
# The distinguished folders this server hosts.
HOSTED = {name: name for name in DISTINGUISHED}
_NOT_HOSTED = "The specified folder could not be found in the store."


def resolve_folder(req: EwsRequest, el: etree._Element) -> str:
    """The key of the folder a FolderId/DistinguishedFolderId names, in the caller's mailbox.

    Raises ItemError for a folder this mailbox does not have (or another mailbox's).
    """
    actor = req.actor
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
        if ident == "publicfoldersroot":  # this server hosts no public folders
            raise ItemError("ErrorNoPublicFolderReplicaAvailable", "No public folder replica is available.")
        if ident not in HOSTED:
            raise ItemError("ErrorFolderNotFound", _NOT_HOSTED)
        return ident
    if name == "FolderId":
        ident = el.get("Id")
        if ident is None:
            raise SchemaViolation("The required attribute 'Id' is missing.", el)
        try:
            return req.folders.by_id(actor, ident).key
        except RuleError as exc:
            if exc.reason == R.ID_MALFORMED:
                raise ItemError("ErrorInvalidIdMalformed", "Id is malformed.") from None
            raise ItemError("ErrorFolderNotFound", _NOT_HOSTED) from None
    raise SchemaViolation(f"The element '{name}' is not a folder id.", el)


def folder_ids(holder: etree._Element | None, what: str) -> list[etree._Element]:
    if holder is None:
        raise SchemaViolation(f"The element '{what}' is required.")
    ids = [c for c in holder if isinstance(c.tag, str)]
    if not ids:
        raise SchemaViolation(f"The element '{what}' has incomplete content.", holder)
    return ids


def target_folder(req: EwsRequest, holder: etree._Element | None, what: str) -> str:
    """The one folder a ToFolderId / ParentFolderId / SavedItemFolderId names."""
    ids = folder_ids(holder, what)
    if len(ids) != 1:
        raise SchemaViolation(f"The element '{what}' holds exactly one folder id.", holder)
    return resolve_folder(req, ids[0])
