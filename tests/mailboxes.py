"""Reading whole mailboxes over the wire, for the reliability tests' invariants:
what the organizer's item says about each attendee, and which MeetingResponses
reached the organizer's Inbox."""

from __future__ import annotations

from dataclasses import dataclass

from ews_propose.directory import Directory, Mailbox

from .ews import Soap

LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
PROPOSAL = ("2026-12-02T12:00:00Z", "2026-12-02T13:00:00Z")
ORGANIZER = ("olivia@load.example", "Olivia Organizer", "olivia-pw-1")
REPLY_RESPONSE_TYPE = {"AcceptItem": "Accept", "TentativelyAcceptItem": "Tentative", "DeclineItem": "Decline"}


def attendees(count: int) -> list[tuple[str, str, str]]:
    return [(f"att{i:03d}@load.example", f"Attendee {i:03d}", f"att{i:03d}-pw") for i in range(count)]


def load_directory(count: int) -> tuple[Directory, str]:
    """The organizer and ``count`` attendees, as a Directory and as the same TOML text."""
    people = [ORGANIZER, *attendees(count)]
    toml = "".join(f'[[mailbox]]\nsmtp = "{s}"\nname = "{n}"\npassword = "{p}"\n\n' for s, n, p in people)
    return Directory([Mailbox(s, n, p) for s, n, p in people]), toml


def all_ids(soap: Soap, folder: str, element: str) -> list[str]:
    answer = soap.call(
        f'<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
        f'<m:IndexedPageItemView MaxEntriesReturned="100000" Offset="0" BasePoint="Beginning"/>'
        f'<m:ParentFolderIds><t:DistinguishedFolderId Id="{folder}"/></m:ParentFolderIds></m:FindItem>')
    assert answer.status == 200 and answer.response_codes == ["NoError"], answer.content[:500]
    return [el.get("Id") for el in answer.xpath(f"//t:Items/t:{element}/t:ItemId")]


def reply_kind(index: int) -> tuple[str, tuple[str, str] | None]:
    """Attendee ``index``'s answer: a mix of accepts, proposals and declines."""
    return [("AcceptItem", None), ("TentativelyAcceptItem", PROPOSAL), ("DeclineItem", None),
            ("DeclineItem", PROPOSAL)][index % 4]


@dataclass(frozen=True)
class Response:
    sender: str
    response_type: str
    proposed: tuple[str, str] | None
    associated: str


def meeting_responses(organizer: Soap) -> list[Response]:
    """Every MeetingResponse in the organizer's Inbox."""
    ids = all_ids(organizer, "inbox", "MeetingResponse")
    if not ids:
        return []
    item_ids = "".join(f'<t:ItemId Id="{i}"/>' for i in ids)
    answer = organizer.call(f"<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>"
                            f"<m:ItemIds>{item_ids}</m:ItemIds></m:GetItem>")
    assert answer.response_codes == ["NoError"] * len(ids), answer.content[:500]
    out = []
    for el in answer.xpath("//t:MeetingResponse"):
        start = el.findtext("t:ProposedStart", namespaces=NS_T)
        out.append(Response(el.findtext("t:From/t:Mailbox/t:EmailAddress", namespaces=NS_T).lower(),
                            el.findtext("t:ResponseType", namespaces=NS_T),
                            (start, el.findtext("t:ProposedEnd", namespaces=NS_T)) if start else None,
                            el.find("t:AssociatedCalendarItemId", namespaces=NS_T).get("Id")))
    return out


NS_T = {"t": "http://schemas.microsoft.com/exchange/services/2006/types"}


def attendee_entries(organizer: Soap, meeting_id: str) -> dict[str, tuple[str, tuple[str, str] | None]]:
    """The organizer's item: each attendee's ResponseType and proposal."""
    answer = organizer.get(meeting_id)
    assert answer.response_codes == ["NoError"], answer.content[:500]
    out = {}
    for el in answer.xpath("//t:CalendarItem//t:Attendee"):
        start = el.findtext("t:ProposedStart", namespaces=NS_T)
        out[el.findtext("t:Mailbox/t:EmailAddress", namespaces=NS_T).lower()] = (
            el.findtext("t:ResponseType", namespaces=NS_T),
            (start, el.findtext("t:ProposedEnd", namespaces=NS_T)) if start else None)
    return out


def check_replies_agree(organizer: Soap, meeting_id: str) -> tuple[dict[str, Response], dict]:
    """The invariant after any number of replies (each attendee answers at most once):
    at most one MeetingResponse per attendee, each pointing at the organizer's item, and
    the organizer's attendee entry says exactly what that response says (Unknown when
    there is none). Returns the responses by sender and the entries."""
    responses = meeting_responses(organizer)
    entries = attendee_entries(organizer, meeting_id)
    by_sender: dict[str, Response] = {}
    for r in responses:
        assert r.sender not in by_sender, f"duplicate MeetingResponse from {r.sender}"
        by_sender[r.sender] = r
        assert r.associated == meeting_id
    for smtp, (response_type, proposed) in entries.items():
        r = by_sender.get(smtp)
        if r is None:
            assert response_type == "Unknown", f"{smtp}: entry {response_type} but no MeetingResponse"
        else:
            assert (response_type, proposed) == (r.response_type, r.proposed), smtp
    assert set(by_sender) <= set(entries)
    return by_sender, entries
