"""Directory calls: ResolveNames (users and rooms, with contact data), ExpandDL,
GetRoomLists, GetRooms, and GetSearchableMailboxes (an eDiscovery call: refused to
mailboxes without that role, which no mailbox here has)."""

from __future__ import annotations

from ...directory import Mailbox
from ...rules.people import resolve
from ..context import EwsRequest, Responses
from ..xml import RESPONSE_NSMAP, M, SchemaViolation, T, parse_enum, sub
from . import operation

SCOPES = ("ActiveDirectory", "ActiveDirectoryContacts", "Contacts", "ContactsActiveDirectory")
SHAPES = ("IdOnly", "Default", "AllProperties")
_NO_RESULTS = "No results were found."


def mailbox_element(parent, mb: Mailbox, tag: str = "Mailbox"):
    el = sub(parent, T + tag)
    sub(el, T + "Name", mb.name)
    sub(el, T + "EmailAddress", mb.smtp)
    sub(el, T + "RoutingType", "SMTP")
    sub(el, T + "MailboxType", "Mailbox")
    return el


def _contact(parent, mb: Mailbox) -> None:
    contact = sub(parent, T + "Contact")
    sub(contact, T + "DisplayName", mb.name)
    first, _, last = mb.name.partition(" ")
    if first:
        sub(contact, T + "GivenName", first)
    emails = sub(contact, T + "EmailAddresses")
    sub(emails, T + "Entry", f"SMTP:{mb.smtp}", Key="EmailAddress1")
    sub(contact, T + "ContactSource", "ActiveDirectory")
    if last:
        sub(contact, T + "Surname", last)


def ResolveNames(req: EwsRequest, request):
    full = (request.get("ReturnFullContactData") or "false") in ("true", "1")
    if request.get("SearchScope") is not None:
        parse_enum(request, request.get("SearchScope"), SCOPES, "the SearchScope attribute")
    if request.get("ContactDataShape") is not None:
        parse_enum(request, request.get("ContactDataShape"), SHAPES, "the ContactDataShape attribute")
    entry = request.find(M + "UnresolvedEntry")
    if entry is None:
        raise SchemaViolation("The element 'ResolveNames' is missing its required child 'UnresolvedEntry'.", request)
    found = resolve(req.directory, entry.text or "")
    out = Responses("ResolveNames")
    if not found:
        out.error("ErrorNameResolutionNoResults", _NO_RESULTS)
        return out.root
    if len(found) == 1:
        msg = out.success()
    else:
        msg = sub(out.messages, out.message_tag, ResponseClass="Warning")
        sub(msg, M + "MessageText", "Multiple results were found.")
        sub(msg, M + "ResponseCode", "ErrorNameResolutionMultipleResults")
        sub(msg, M + "DescriptiveLinkKey", "0")
    found = found[:100]
    holder = sub(msg, M + "ResolutionSet", TotalItemsInView=str(len(found)), IncludesLastItemInRange="true")
    for mb in found:
        resolution = sub(holder, T + "Resolution")
        mailbox_element(resolution, mb)
        if full:
            _contact(resolution, mb)
    return out.root


def ExpandDL(req: EwsRequest, request):
    # The directory defines no distribution lists: every name is answered as unknown.
    out = Responses("ExpandDL")
    out.error("ErrorNameResolutionNoResults", _NO_RESULTS)
    return out.root


def GetRoomLists(req: EwsRequest, request):
    from lxml import etree
    root = etree.Element(M + "GetRoomListsResponse", nsmap=RESPONSE_NSMAP, ResponseClass="Success")
    sub(root, M + "ResponseCode", "NoError")
    sub(root, M + "RoomLists")  # the directory defines no room lists
    return root


def GetRooms(req: EwsRequest, request):
    from lxml import etree
    root = etree.Element(M + "GetRoomsResponse", nsmap=RESPONSE_NSMAP, ResponseClass="Error")
    sub(root, M + "MessageText", _NO_RESULTS)
    sub(root, M + "ResponseCode", "ErrorNameResolutionNoResults")
    sub(root, M + "DescriptiveLinkKey", "0")
    return root


def GetSearchableMailboxes(req: EwsRequest, request):
    from lxml import etree
    root = etree.Element(M + "GetSearchableMailboxesResponse", nsmap=RESPONSE_NSMAP, ResponseClass="Error")
    sub(root, M + "MessageText", "Searching mailboxes needs the Discovery Management role, which this "
        "mailbox does not have.")
    sub(root, M + "ResponseCode", "ErrorAccessDenied")
    sub(root, M + "DescriptiveLinkKey", "0")
    return root


services = [operation(h) for h in (ResolveNames, ExpandDL, GetRoomLists, GetRooms, GetSearchableMailboxes)]
