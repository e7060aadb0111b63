"""Recurring meetings in the workflow: answering, proposing for, moving and deleting
one occurrence of a series, and changing a series' pattern.

MS-OXOCAL 3.1.4.8.4.1: a new time may be proposed for one instance of a recurring
meeting, never for the whole series. A proposal for one occurrence reaches the
organizer as a MeetingResponse naming that occurrence (its RecurrenceId, the original
start); the organizer moves only that occurrence, which becomes an exception on every
copy of the series, and only that instance's update is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from . import errors as E
from . import ids, occurrences, zones
from . import recurrence as rec
from .errors import RuleError
from .model import (
    BUSY,
    CALENDAR,
    CALENDAR_ITEM,
    DECLINE,
    DELETED,
    DRAFTS,
    FREE,
    INBOX,
    MEETING_REQUEST,
    NO_RESPONSE,
    RECURRING_MASTER,
    SENT,
    TENTATIVE,
    Item,
)

if TYPE_CHECKING:
    from ..store.base import Transaction
    from .engine import MeetingRules, Reply, ReplyResult

_FREE_BUSY_FOR_REPLY = {"accept": BUSY, "tentative": TENTATIVE, "decline": FREE}
_INSTANCE_FIELDS = ("start", "end", "subject", "location", "is_all_day", "body", "body_type")
# How far ahead a room checks a new series for conflicts.
ROOM_HORIZON = timedelta(days=366)


def is_series(item: Item) -> bool:
    """A recurring series as a whole: its master, or the request inviting to it."""
    return item.calendar_type == RECURRING_MASTER and not item.master_id


def is_single_instance(item: Item) -> bool:
    """One occurrence of a series: read from the reader's calendar, or a meeting request
    for that instance alone."""
    return bool(item.master_id) or (item.kind == MEETING_REQUEST and item.recurrence_id is not None)


def owned_occurrence(rules: MeetingRules, tx: Transaction, actor: str, item_id: str) -> Item:
    parsed = occurrences.parse_occurrence_id(item_id)
    assert parsed is not None
    master = rules._owned(tx, actor, parsed[0])
    return occurrences.occurrence(master, parsed[1])


def _as_message(item: Item) -> Item:
    """An occurrence's fields on a meeting message (which is no occurrence itself)."""
    return item.copy(master_id=None, instance_index=0, recurrence=None, modified_occurrences=[],
                     deleted_occurrences=[])


def _mark(message: Item, occ: Item) -> Item:
    message.recurrence_id = occ.recurrence_id
    message.calendar_type = occ.calendar_type
    return message


# --- answering one occurrence --------------------------------------------------------


def respond_to_occurrence(rules: MeetingRules, tx: Transaction, actor: str, ref: Item, reply: Reply,
                          disposition: str) -> ReplyResult:
    from .engine import DONT_SEND, SAVE_ONLY, SEND_AND_SAVE_COPY, ReplyResult

    request = ref if ref.kind == MEETING_REQUEST else None
    occ = ref
    if request is not None:
        found = None
        if request.associated_item_id and occurrences.parse_occurrence_id(request.associated_item_id):
            try:
                found = owned_occurrence(rules, tx, actor, request.associated_item_id)
            except RuleError:
                found = None
        occ = found or request
    if occ.is_organized_by(actor):
        raise RuleError(E.ORGANIZER_CANNOT_RESPOND, "The organizer cannot reply to their own meeting.",
                        response=reply.kind)
    if occ.is_cancelled or (request is not None and request.is_cancelled):
        raise RuleError(E.MEETING_CANCELLED, "The meeting was cancelled.", response=reply.kind)
    if request is not None and request.is_out_of_date:
        raise RuleError(E.REQUEST_OUT_OF_DATE, "This meeting request is out of date; answer the newest request "
                                               "for the meeting.", response=reply.kind)
    if reply.is_proposal:
        rules._check_proposal(occ, reply)
        if disposition == DONT_SEND:
            raise RuleError(E.PROPOSAL_NOT_SENT, "A proposed new time is sent to the organizer with the "
                                                 "response; it cannot be given without sending one.",
                            response=reply.kind)
    now = rules.now()
    if disposition == SAVE_ONLY:
        draft = _mark(rules._reply_message(actor, occ, reply, now, DRAFTS, is_draft=True), occ)
        tx.put(draft)
        return ReplyResult(None, None, draft)

    updated = None
    if occ.master_id:
        master = tx.get(occ.master_id)
        assert master is not None and occ.recurrence_id is not None
        if reply.kind == DECLINE:
            occurrences.delete_occurrence(master, occ.recurrence_id)
        else:
            occurrences.set_exception(master, occ.recurrence_id, {
                "my_response": reply.kind, "free_busy": _FREE_BUSY_FOR_REPLY[reply.kind]})
        master.change_key = ids.new_change_key()
        tx.put(master)
        if reply.kind != DECLINE:
            updated = occurrences.occurrence_at(master, occ.recurrence_id)
    if request is not None:
        request.folder = DELETED
        request.has_been_processed = True
        request.is_read = True
        request.change_key = ids.new_change_key()
        tx.put(request)
    if disposition == DONT_SEND:
        return ReplyResult(updated, request)
    message = _mark(rules._reply_message(actor, occ, reply, now, SENT), occ)
    if disposition == SEND_AND_SAVE_COPY:
        tx.put(message)
    _deliver_instance_reply(rules, tx, occ, message)
    return ReplyResult(updated, request)


def _deliver_instance_reply(rules: MeetingRules, tx: Transaction, occ: Item, message: Item) -> None:
    organizer = occ.organizer
    if organizer is None or rules.directory.get(organizer.smtp) is None:
        return
    master = rules._organizers_item(tx, organizer.smtp, occ.uid)
    theirs = None
    if master is not None and master.recurrence and occ.recurrence_id is not None:
        if occurrences.occurrence_at(master, occ.recurrence_id) is not None and master.attendee(message.mailbox):
            # the answer is recorded on that occurrence's attendee list, not the series'
            occurrences.record_answer(master, occ.recurrence_id, message.mailbox, message.response or "",
                                      rules.now(), message.proposed_start, message.proposed_end)
            master.change_key = ids.new_change_key()
            tx.put(master)
        theirs = occurrences.occurrence_at(master, occ.recurrence_id)
    delivered = message.copy(id=ids.new_item_id(), mailbox=organizer.smtp, folder=INBOX,
                             change_key=ids.new_change_key(), is_read=False,
                             associated_item_id=theirs.id if theirs else None)
    if theirs is not None:
        delivered.start, delivered.end = theirs.start, theirs.end
    tx.put(delivered)


# --- the organizer (or owner) changes one occurrence ---------------------------------


def update_occurrence(rules: MeetingRules, tx: Transaction, actor: str, occ: Item, change_key: str | None,
                      changes: dict[str, object], conflict: str, send: str) -> Item:
    from .engine import (
        ALWAYS_OVERWRITE,
        FULL_UPDATE,
        INFORMATIONAL_UPDATE,
        SEND_AND_SAVE,
        SEND_NONE,
    )

    if "recurrence" in changes:
        raise RuleError(E.INVALID_FIELD_VALUE, "An occurrence has no recurrence of its own; change the series.")
    if change_key and change_key != occ.change_key and conflict != ALWAYS_OVERWRITE:
        raise RuleError(E.STALE_CHANGE_KEY, "The item was changed since the ChangeKey the client sent; read it again.")
    organizer = occ.is_meeting and occ.is_organized_by(actor)
    if occ.is_meeting and not organizer and "allow_new_time_proposal" in changes:
        raise RuleError(E.NOT_ORGANIZER, "Only the organizer can change AllowNewTimeProposal.")
    old = (occ.start, occ.end, occ.is_all_day)
    for name, value in changes.items():
        setattr(occ, name, value)
    rules._check_times(occ.start, occ.end)
    if occ.is_all_day and occ.start is not None and occ.end is not None:
        occ.start, occ.end = zones.snap_all_day(occ.start, occ.end, zones.item_zone(occ.time_zone),
                                                zones.item_zone(occ.end_time_zone or occ.time_zone))
    time_changed = (occ.start, occ.end, occ.is_all_day) != old
    master = tx.get(occ.master_id or "")
    assert master is not None and occ.recurrence_id is not None
    fields = {name: getattr(occ, name) for name in changes if name not in ("time_zone", "end_time_zone")}
    fields.update(start=occ.start, end=occ.end)
    occurrences.set_exception(master, occ.recurrence_id, fields)
    if time_changed:  # the attendees answer the moved occurrence afresh
        occurrences.clear_answers(master, occ.recurrence_id)
    master.change_key = ids.new_change_key()
    tx.put(master)
    updated = occurrences.occurrence_at(master, occ.recurrence_id)
    assert updated is not None
    if organizer and send != SEND_NONE:
        _send_instance_update(rules, tx, master, updated, FULL_UPDATE if time_changed else INFORMATIONAL_UPDATE,
                              save_copy=send == SEND_AND_SAVE)
    return updated


def _their_master(tx: Transaction, smtp: str, master: Item) -> Item | None:
    """``smtp``'s copy of the series (same UID and the same organizer: issue 14's identity rule)."""
    from .engine import _copies

    for item in _copies(tx, smtp, master, (CALENDAR_ITEM,)):
        if item.recurrence:
            return item
    return None


def _send_instance_update(rules: MeetingRules, tx: Transaction, master: Item, occ: Item, request_type: str,
                          save_copy: bool) -> None:
    from .engine import FULL_UPDATE

    now = rules.now()
    message_base = _as_message(occ)
    for attendee in master.attendees:
        mailbox = rules.directory.get(attendee.smtp)
        if mailbox is None:
            continue
        theirs = _their_master(tx, mailbox.smtp, master)
        associated = None
        if theirs is not None and occ.recurrence_id is not None:
            fields: dict[str, object] = {name: getattr(occ, name) for name in _INSTANCE_FIELDS}
            if request_type == FULL_UPDATE:
                fields.update(my_response=NO_RESPONSE, free_busy=TENTATIVE)
            occurrences.set_exception(theirs, occ.recurrence_id, fields)
            theirs.change_key = ids.new_change_key()
            tx.put(theirs)
            found = occurrences.occurrence_at(theirs, occ.recurrence_id)
            associated = found.id if found else None
        tx.put(rules._request_copy(message_base, mailbox.smtp, INBOX, request_type, now, associated))
    if save_copy:
        tx.put(rules._request_copy(message_base, master.mailbox, SENT, request_type, now, None, is_read=True))


def delete_occurrence(rules: MeetingRules, tx: Transaction, actor: str, occ: Item, send_cancellations: str,
                      comment: str = "") -> None:
    """One occurrence leaves the series; the organizer's cancellation goes to attendees."""
    from .engine import SEND_AND_SAVE, SEND_NONE

    master = tx.get(occ.master_id or "")
    assert master is not None and occ.recurrence_id is not None
    if occ.is_meeting and occ.is_organized_by(actor) and send_cancellations != SEND_NONE:
        now = rules.now()
        notice_base = _as_message(occ)
        for attendee in master.attendees:
            mailbox = rules.directory.get(attendee.smtp)
            if mailbox is None:
                continue
            theirs = _their_master(tx, mailbox.smtp, master)
            if theirs is not None:
                occurrences.delete_occurrence(theirs, occ.recurrence_id)
                theirs.change_key = ids.new_change_key()
                tx.put(theirs)
            tx.put(rules._cancellation(notice_base, mailbox.smtp, INBOX, now, None, comment=comment))
        if send_cancellations == SEND_AND_SAVE:
            tx.put(rules._cancellation(notice_base, master.mailbox, SENT, now, None, is_read=True, comment=comment))
    occurrences.delete_occurrence(master, occ.recurrence_id)
    master.change_key = ids.new_change_key()
    tx.put(master)


# --- the series itself ---------------------------------------------------------------


def repattern(item: Item, changes: dict[str, object]) -> None:
    """A master whose pattern (or times) changed: Start/End move to the new first
    occurrence; a new pattern drops the old exceptions and deletions, as Exchange does."""
    if "recurrence" in changes:
        item.modified_occurrences = []
        item.deleted_occurrences = []
        item.occurrence_answers = []
    if item.recurrence:
        occurrences.place_series(item)
    else:
        item.calendar_type = ""


def room_conflicts(tx: Transaction, room: str, meeting: Item) -> list[Item]:
    """The room's calendar items overlapping the meeting (each occurrence of a series,
    up to ROOM_HORIZON ahead)."""
    assert meeting.start is not None and meeting.end is not None
    if not meeting.recurrence:
        return occurrences.calendar_view(tx, room, CALENDAR, meeting.start, meeting.end)
    p = occurrences.pattern(meeting)
    out: list[Item] = []
    until: datetime = meeting.start + ROOM_HORIZON
    for slot in rec.slots(p, meeting.start, meeting.end - meeting.start, zones.item_zone(meeting.time_zone),
                          until=until):
        out.extend(occurrences.calendar_view(tx, room, CALENDAR, slot.start, slot.end))
    return out
