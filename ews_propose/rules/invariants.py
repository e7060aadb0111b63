"""What must hold in every store the meeting rules wrote, whatever crashed or raced.

Plain Python over items (``ews-propose check`` reads them from a store file). Each
finding is one line naming the mailbox, the meeting and the items. The rules never
leave these states behind in one step; a few can also come from a client's own
deletions (a request kept while its calendar item was deleted by hand), which the
line says.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .model import (
    CALENDAR_ITEM,
    DELETED,
    INBOX,
    MEETING_REQUEST,
    MEETING_RESPONSE,
    REPLY_KINDS,
    SENT,
    Item,
)


def check_items(items: Iterable[Item]) -> tuple[list[str], int]:
    """Findings over all of a store's items, and how many meetings (organizer items with
    attendees) were checked."""
    by_id: dict[str, Item] = {}
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)  # (mailbox, uid) -> items, store order
    for item in items:
        by_id[item.id] = item
        if item.uid:
            groups[(item.mailbox.lower(), item.uid)].append(item)
    out: list[str] = []
    meetings = 0
    for (mailbox, uid), group in groups.items():
        mine = [i for i in group if i.kind == CALENDAR_ITEM and i.is_organized_by(mailbox) and i.folder != DELETED]
        if len(mine) > 1:
            out.append(f"{mailbox}: {len(mine)} organizer items for meeting {uid}: {_ids(mine)}")
        copies: dict[str, list[Item]] = defaultdict(list)
        for i in group:
            if i.kind == CALENDAR_ITEM and i.organizer is not None and not i.is_organized_by(mailbox):
                copies[i.organizer.smtp.lower()].append(i)
        for organizer, found in copies.items():
            if len(found) > 1:
                out.append(f"{mailbox}: {len(found)} calendar copies of {organizer}'s meeting {uid}: {_ids(found)}")
        for i in group:
            if (i.kind == MEETING_REQUEST and i.folder == INBOX and not i.is_out_of_date
                    and i.associated_item_id and i.associated_item_id not in by_id):
                out.append(f"{mailbox}: meeting request {i.id} of meeting {uid} names calendar item "
                           f"{i.associated_item_id}, which does not exist (deleted by hand, or an orphan)")
        for meeting in mine:
            meetings += meeting.is_meeting
            out += _answers(mailbox, uid, meeting, group, by_id)
    return out, meetings


def _answers(mailbox: str, uid: str, meeting: Item, group: list[Item], by_id: dict[str, Item]) -> list[str]:
    """Every MeetingResponse the organizer received is associated with their item, and
    each attendee's entry shows their last answer to the meeting as it now stands."""
    out = []
    last: dict[str, Item] = {}
    for r in group:
        if r.kind != MEETING_RESPONSE or r.folder == SENT or r.sender is None or not r.is_organized_by(mailbox):
            continue
        associated = by_id.get(r.associated_item_id or "")
        if associated is None or associated.uid != uid or associated.mailbox.lower() != mailbox:
            out.append(f"{mailbox}: MeetingResponse {r.id} of meeting {uid} is associated with "
                       f"{r.associated_item_id or 'nothing'}, not with the organizer's item {meeting.id}")
        if r.sequence == meeting.sequence and r.response in REPLY_KINDS:
            last[r.sender.smtp.lower()] = r  # store order: the later one wins
    for sender, r in last.items():
        entry = meeting.attendee(sender)
        if entry is None:
            out.append(f"{mailbox}: meeting {uid} ({meeting.id}) has no attendee entry for {sender}, "
                       f"who answered ({r.id})")
        elif (entry.response, entry.proposed_start, entry.proposed_end) != (r.response, r.proposed_start,
                                                                          r.proposed_end):
            out.append(f"{mailbox}: meeting {uid} ({meeting.id}) shows {sender} as {entry.response}, but their "
                       f"last answer ({r.id}) is {r.response}"
                       + (" with a proposed time" if r.proposed_start else ""))
    return out


def _ids(items: list[Item]) -> str:
    return ", ".join(i.id for i in items)
