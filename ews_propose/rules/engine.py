"""The meeting rules: what happens in every mailbox when someone invites, answers,
proposes a new time, moves or cancels a meeting.

Plain Python over the store interface. Every public method runs as one store
transaction, so a workflow step (an attendee's reply: their calendar item, the moved
request, the sent copy, the organizer's response and attendee entry) lands whole or
not at all. Surfaces (EWS SOAP, later Graph) call these methods and map
:class:`RuleError` reasons to their own error forms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ..directory import Directory
from ..store.base import Store, Transaction
from . import cancellations, clock, ids, occurrences, series, zones
from . import errors as E
from .availability import Event, events_of
from .errors import RuleError
from .limits import DEFAULT_LIMITS, Limits
from .mailbox import owned_item
from .model import (
    ACCEPT,
    ACT_ACCEPT,
    ACT_CANCEL,
    ACT_DECLINE,
    ACT_FORWARD,
    ACT_PROPOSE,
    ACT_REMOVE,
    ACT_REPLY,
    ACT_REPLY_ALL,
    ACT_TENTATIVE,
    BUSY,
    CALENDAR,
    CALENDAR_ITEM,
    DECLINE,
    DELETED,
    DRAFTS,
    FREE,
    FULL_UPDATE,
    INBOX,
    INFORMATIONAL_UPDATE,
    MEETING_CANCELLATION,
    MEETING_REQUEST,
    MEETING_RESPONSE,
    MESSAGE,
    NEW_REQUEST,
    NO_RESPONSE,
    ORGANIZER,
    RESOURCE,
    SENT,
    TENTATIVE,
    UNKNOWN,
    Attendee,
    Item,
    Person,
)

REPLY_SUBJECT_PREFIX = {ACCEPT: "Accepted: ", TENTATIVE: "Tentative: ", DECLINE: "Declined: "}
PROPOSAL_SUBJECT_PREFIX = "New Time Proposed: "
CANCELLED_SUBJECT_PREFIX = "Canceled: "
REPLY_ITEM_CLASS = {
    ACCEPT: "IPM.Schedule.Meeting.Resp.Pos",
    TENTATIVE: "IPM.Schedule.Meeting.Resp.Tent",
    DECLINE: "IPM.Schedule.Meeting.Resp.Neg",
}
REQUEST_ITEM_CLASS = "IPM.Schedule.Meeting.Request"
CANCELLED_ITEM_CLASS = "IPM.Schedule.Meeting.Canceled"
APPOINTMENT_ITEM_CLASS = "IPM.Appointment"
MESSAGE_ITEM_CLASS = "IPM.Note"
_FREE_BUSY_FOR_REPLY = {ACCEPT: BUSY, TENTATIVE: TENTATIVE, DECLINE: FREE}

# Send modes, in plain words (EWS: SendToNone / SendOnlyToAll / SendToAllAndSaveCopy ...)
SEND_NONE = "none"
SEND = "send"
SEND_AND_SAVE = "send_and_save"
# Message dispositions (EWS: SaveOnly / SendOnly / SendAndSaveCopy)
SAVE_ONLY = "save_only"
SEND_ONLY = "send_only"
SEND_AND_SAVE_COPY = "send_and_save_copy"
# A reply that updates the attendee's calendar but sends nothing (Graph: sendResponse false)
DONT_SEND = "dont_send"
# Conflict resolution on update
NEVER_OVERWRITE = "never_overwrite"
AUTO_RESOLVE = "auto_resolve"
ALWAYS_OVERWRITE = "always_overwrite"
# Delete types
HARD_DELETE = "hard"
SOFT_DELETE = "soft"
MOVE_TO_DELETED = "move_to_deleted"

UPDATABLE_FIELDS = frozenset(
    {"subject", "body", "body_type", "start", "end", "location", "allow_new_time_proposal", "is_all_day",
     "free_busy", "importance", "sensitivity", "categories", "is_read", "reminder_minutes",
     "reminder_is_set", "extended", "in_reply_to", "culture", "message_fields", "reply_to",
     "time_zone", "end_time_zone", "recurrence"}
)
_TIME_FIELDS = frozenset({"start", "end", "is_all_day"})
_ORGANIZER_ONLY_FIELDS = frozenset({"allow_new_time_proposal"})


@dataclass
class Reply:
    """An attendee's answer, with or without a proposed new time."""

    kind: str  # accept | tentative | decline
    body: str = ""
    body_type: str = "Text"
    proposed_start: datetime | None = None
    proposed_end: datetime | None = None

    @property
    def is_proposal(self) -> bool:
        return self.proposed_start is not None or self.proposed_end is not None


@dataclass
class ReplyResult:
    calendar_item: Item | None
    request: Item | None
    draft: Item | None = None


@dataclass
class NewItem:
    """What a client asks to create, before the rules give it ids and place it."""

    kind: str  # calendar_item | message
    subject: str = ""
    body: str = ""
    body_type: str = "Text"
    start: datetime | None = None
    end: datetime | None = None
    location: str = ""
    is_all_day: bool = False
    free_busy: str = BUSY
    allow_new_time_proposal: bool = True
    attendees: list[Attendee] = field(default_factory=list)
    to: list[Person] = field(default_factory=list)
    cc: list[Person] = field(default_factory=list)
    bcc: list[Person] = field(default_factory=list)
    importance: str = "Normal"
    sensitivity: str = "Normal"
    categories: list[str] = field(default_factory=list)
    uid: str | None = None
    is_read: bool | None = None
    reminder_minutes: int = 15
    reminder_is_set: bool = True
    time_zone: str = ""  # the zone the client gave the times in (Graph: originalStartTimeZone)
    extended: list[dict] = field(default_factory=list)  # extended (MAPI) properties, as Item.extended
    attachments: list[dict] = field(default_factory=list)  # inline attachments, as Item.attachments
    in_reply_to: str = ""
    culture: str = ""
    message_fields: dict = field(default_factory=dict)  # as Item.message_fields
    reply_to: list[Person] = field(default_factory=list)
    end_time_zone: str = ""  # the zone of the end time (EWS EndTimeZone), when it differs
    recurrence: dict | None = None  # a series' pattern (rules/recurrence.py Pattern.to_dict())


@dataclass
class View:
    offset: int = 0
    limit: int | None = None


class MeetingRules:
    def __init__(self, store: Store, directory: Directory, now: Callable[[], datetime] = clock.now,
                 limits: Limits = DEFAULT_LIMITS):
        self.store = store
        self.directory = directory
        self.now = now
        self.limits = limits

    # --- reading -------------------------------------------------------------------

    def get_item(self, actor: str, item_id: str) -> Item:
        with self.store.transaction(write=False) as tx:
            return self._owned(tx, actor, item_id)

    def get_items(self, actor: str, item_ids: Iterable[str]) -> list[Item | RuleError]:
        """Each id's item, or the error for that id alone."""
        out: list[Item | RuleError] = []
        read: dict[str, Item | RuleError] = {}  # an id named twice is read once
        with self.store.transaction(write=False) as tx:
            for item_id in item_ids:
                if item_id not in read:
                    try:
                        read[item_id] = self._owned(tx, actor, item_id)
                    except RuleError as exc:
                        read[item_id] = exc
                out.append(read[item_id])
        return out

    def list_folder(self, actor: str, folder: str, view: View) -> tuple[list[Item], int]:
        with self.store.transaction(write=False) as tx:
            return tx.list_folder(actor, folder, view.offset, view.limit)

    def folder_counts(self, actor: str, folder: str) -> tuple[int, int]:
        """(items, unread items) of one of the actor's folders."""
        with self.store.transaction(write=False) as tx:
            return tx.counts(actor, folder)

    def calendar_view(
        self, actor: str, folder: str, start: datetime, end: datetime, ending_at_start: bool = False
    ) -> list[Item]:
        """Items and occurrences overlapping [start, end) (``ending_at_start``: and those
        ending exactly at ``start``, as EWS's CalendarView shows them)."""
        with self.store.transaction(write=False) as tx:
            return occurrences.calendar_view(tx, actor, folder, start, end, ending_at_start)

    def schedule(self, smtp: str, start: datetime, end: datetime) -> list[Event] | None:
        """Anyone's free/busy events overlapping [start, end), or None for an unknown mailbox.

        Free/busy is public within the organization: any mailbox may ask about any other.
        """
        mailbox = self.directory.get(smtp)
        if mailbox is None:
            return None
        with self.store.transaction(write=False) as tx:
            return events_of(occurrences.calendar_view(tx, mailbox.smtp, CALENDAR, start, end))

    def actions(self, reader: str, item: Item, proposals_supported: bool) -> list[str]:
        """What ``reader`` may do with ``item`` (EWS ResponseObjects), in wire order.

        ``proposals_supported`` is the server/schema side of the gate; the meeting side
        (allowed by the organizer, reader is not the organizer, not a series) is here.
        """
        if item.kind == MEETING_CANCELLATION and item.is_organized_by(reader):
            return [ACT_FORWARD]  # the organizer's own sent copy
        if item.kind == MEETING_CANCELLATION or (item.kind == CALENDAR_ITEM and item.is_cancelled):
            return [ACT_REMOVE]
        if item.kind == CALENDAR_ITEM and not item.is_meeting:
            return [ACT_FORWARD]
        if item.kind == MEETING_REQUEST or (item.kind == CALENDAR_ITEM and item.is_meeting):
            if item.is_organized_by(reader):
                if item.kind == CALENDAR_ITEM:
                    return [ACT_CANCEL, ACT_FORWARD]
                return [ACT_REPLY, ACT_REPLY_ALL, ACT_FORWARD]
            acts = [ACT_ACCEPT, ACT_TENTATIVE, ACT_DECLINE]
            if proposals_supported and self.can_propose(reader, item):
                acts.append(ACT_PROPOSE)
            return acts + [ACT_REPLY, ACT_REPLY_ALL, ACT_FORWARD]
        return [ACT_REPLY, ACT_REPLY_ALL, ACT_FORWARD]

    @staticmethod
    def can_propose(reader: str, item: Item) -> bool:
        # MS-OXOCAL: never to the organizer, never when disallowed, never on a series
        # (this emulator has no recurring series yet, so every meeting is single).
        return (
            item.is_meeting or item.kind == MEETING_REQUEST
        ) and item.allow_new_time_proposal and not item.is_organized_by(reader) and not series.is_series(item)

    # --- creating ------------------------------------------------------------------

    def create_calendar_item(
        self, actor: str, new: NewItem, folder: str = CALENDAR, send: str = SEND_NONE
    ) -> Item:
        """The organizer's item; with attendees and a send mode, invitations go out."""
        self._check_times(new.start, new.end)
        if new.is_all_day and new.start is not None and new.end is not None:
            new.start, new.end = zones.snap_all_day(new.start, new.end, zones.item_zone(new.time_zone),
                                                    zones.item_zone(new.end_time_zone or new.time_zone))
        now = self.now()
        owner = self._person(actor)
        # One entry (and so one copy) per mailbox, however often it is named: the first
        # naming decides the role, as Exchange delivers one copy per recipient.
        named: dict[str, Attendee] = {}
        for a in new.attendees:
            if a.smtp.lower() != actor.lower():
                named.setdefault(a.smtp.lower(), a)
        self._check_recipients(len(named), "attendees of a meeting")
        attendees = [Attendee(a.smtp, a.name or self._name(a.smtp), a.role, UNKNOWN) for a in named.values()]
        item = Item(
            id=ids.new_item_id(),
            mailbox=actor,
            folder=folder,
            kind=CALENDAR_ITEM,
            change_key=ids.new_change_key(),
            item_class=APPOINTMENT_ITEM_CLASS,
            subject=new.subject,
            body=new.body,
            body_type=new.body_type,
            created=now,
            received=now,
            sender=owner,
            is_read=True,
            importance=new.importance,
            sensitivity=new.sensitivity,
            categories=list(new.categories),
            extended=[dict(p) for p in new.extended],
            attachments=[dict(a) for a in new.attachments],
            in_reply_to=new.in_reply_to,
            culture=new.culture,
            message_fields=dict(new.message_fields),  # fields kept as written (When, ...)
            uid=new.uid or ids.new_uid(),
            start=new.start,
            end=new.end,
            location=new.location,
            is_all_day=new.is_all_day,
            free_busy=new.free_busy,
            organizer=owner,
            attendees=attendees,
            allow_new_time_proposal=new.allow_new_time_proposal,
            is_meeting=bool(attendees),
            my_response=ORGANIZER,
            reminder_minutes=new.reminder_minutes,
            reminder_is_set=new.reminder_is_set,
            time_zone=new.time_zone,
            end_time_zone=new.end_time_zone,
            recurrence=new.recurrence,
        )
        if item.recurrence:
            occurrences.place_series(item)
        with self.store.transaction() as tx:
            if attendees and send != SEND_NONE:
                item.meeting_request_was_sent = True
                return self._save_and_send(tx, item, NEW_REQUEST, save_copy=send == SEND_AND_SAVE)
            tx.put(item)
        return item

    def send_message(
        self, actor: str, new: NewItem, disposition: str = SEND_AND_SAVE_COPY, folder: str | None = None
    ) -> Item | None:
        """A plain e-mail: saved as a draft, or delivered to local recipients.

        Returns the saved item (draft or sent copy), or None for SendOnly.
        """
        self._check_recipients(len({p.smtp.lower() for p in (*new.to, *new.cc, *new.bcc)}),
                               "recipients of a message")
        now = self.now()
        base = Item(
            id="",
            mailbox=actor,
            folder=DRAFTS,
            kind=MESSAGE,
            item_class=MESSAGE_ITEM_CLASS,
            subject=new.subject,
            body=new.body,
            body_type=new.body_type,
            created=now,
            received=now,
            sender=self._person(actor),
            to=[self._resolve(p) for p in new.to],
            cc=[self._resolve(p) for p in new.cc],
            bcc=[self._resolve(p) for p in new.bcc],
            importance=new.importance,
            sensitivity=new.sensitivity,
            categories=list(new.categories),
            extended=[dict(p) for p in new.extended],
            attachments=[dict(a) for a in new.attachments],
            in_reply_to=new.in_reply_to,
            culture=new.culture,
            message_fields=dict(new.message_fields),
            reply_to=[self._resolve(p) for p in new.reply_to],
            reminder_minutes=new.reminder_minutes,
            reminder_is_set=new.reminder_is_set,
        )
        with self.store.transaction() as tx:
            if disposition == SAVE_ONLY:
                draft = self._place(base, actor, folder or DRAFTS, is_draft=True,
                                    is_read=True if new.is_read is None else new.is_read)
                tx.put(draft)
                return draft
            # One copy per mailbox, however often it is named; categories are the
            # sender's own and do not travel with the message.
            for smtp in _hosted_recipients(self.directory, [*new.to, *new.cc, *new.bcc]):
                tx.put(self._place(base, smtp, INBOX, bcc=[], categories=[], is_read=False))
            if disposition == SEND_AND_SAVE_COPY:
                copy = self._place(base, actor, folder or SENT, is_read=True)
                tx.put(copy)
                return copy
        return None

    # --- answering -----------------------------------------------------------------

    def respond(
        self, actor: str, reference_id: str | None, reply: Reply, disposition: str = SEND_AND_SAVE_COPY
    ) -> ReplyResult:
        """An attendee accepts, tentatively accepts or declines, maybe proposing a new time."""
        if not reference_id:
            raise RuleError(E.MISSING_REFERENCE, "A reply needs the id of the meeting it answers.")
        with self.store.transaction() as tx:
            return self._respond(tx, actor, reference_id, reply, disposition)

    def _respond(
        self, tx: Transaction, actor: str, reference_id: str, reply: Reply, disposition: str
    ) -> ReplyResult:
        ref = self._owned(tx, actor, reference_id)
        if series.is_single_instance(ref):
            return series.respond_to_occurrence(self, tx, actor, ref, reply, disposition)
        if ref.kind not in (CALENDAR_ITEM, MEETING_REQUEST) or (
            ref.kind == CALENDAR_ITEM and not ref.is_meeting
        ):
            raise RuleError(
                E.NOT_A_MEETING,
                "The referenced item is not a meeting request or meeting.",
                response=reply.kind,
            )
        if ref.is_organized_by(actor):
            raise RuleError(
                E.ORGANIZER_CANNOT_RESPOND,
                "The organizer cannot reply to their own meeting.",
                response=reply.kind,
            )
        calendar_item = _first(_copies(tx, actor, ref, (CALENDAR_ITEM,)), lambda i: True)
        if ref.is_cancelled or (calendar_item is not None and calendar_item.is_cancelled):
            raise RuleError(E.MEETING_CANCELLED, "The meeting was cancelled.", response=reply.kind)
        if ref.kind == MEETING_REQUEST and (
            ref.is_out_of_date or (calendar_item is not None and ref.sequence < calendar_item.sequence)
        ):
            raise RuleError(
                E.REQUEST_OUT_OF_DATE,
                "This meeting request is out of date; answer the newest request for the meeting.",
                response=reply.kind,
            )
        if reply.is_proposal:
            self._check_proposal(ref, reply)
            if disposition == DONT_SEND:
                raise RuleError(
                    E.PROPOSAL_NOT_SENT,
                    "A proposed new time is sent to the organizer with the response; "
                    "it cannot be given without sending one.",
                    response=reply.kind,
                )
        now = self.now()
        meeting = calendar_item or ref
        if disposition == SAVE_ONLY:
            draft = self._reply_message(actor, meeting, reply, now, DRAFTS, is_draft=True)
            tx.put(draft)
            return ReplyResult(None, None, draft)

        # The attendee's calendar: their answer, and the time shown as busy/tentative/free.
        if calendar_item is None:
            calendar_item = ref.copy(
                id=ids.new_item_id(), kind=CALENDAR_ITEM, folder=CALENDAR, item_class=APPOINTMENT_ITEM_CLASS,
                is_read=True, request_type=None, associated_item_id=None,
            )
        calendar_item.my_response = reply.kind
        calendar_item.free_busy = _FREE_BUSY_FOR_REPLY[reply.kind]
        calendar_item.folder = DELETED if reply.kind == DECLINE else CALENDAR
        calendar_item.change_key = ids.new_change_key()
        tx.put(calendar_item)

        # The request (the one referenced, or the newest one in the inbox) goes to Deleted Items.
        request = ref if ref.kind == MEETING_REQUEST else _last(
            _copies(tx, actor, ref, (MEETING_REQUEST,), INBOX), lambda i: not i.is_out_of_date
        )
        if request is not None:
            request.folder = DELETED
            request.has_been_processed = True
            request.is_read = True
            request.change_key = ids.new_change_key()
            tx.put(request)
        if disposition == DONT_SEND:
            return ReplyResult(calendar_item, request)

        message = self._reply_message(actor, meeting, reply, now, SENT)
        if disposition == SEND_AND_SAVE_COPY:
            tx.put(message)
        self._deliver_reply(tx, actor, meeting, reply, message, now)
        return ReplyResult(calendar_item, request)

    def _check_proposal(self, meeting: Item, reply: Reply) -> None:
        if reply.proposed_start is None or reply.proposed_end is None:
            raise RuleError(
                E.PROPOSAL_INCOMPLETE,
                "A proposed new time needs both ProposedStart and ProposedEnd.",
                response=reply.kind,
            )
        if reply.proposed_end <= reply.proposed_start:
            raise RuleError(
                E.END_BEFORE_START,
                "The proposed end time must be after the proposed start time.",
                response=reply.kind,
            )
        if series.is_series(meeting):
            raise RuleError(
                E.PROPOSALS_NOT_ALLOWED,
                "A new time cannot be proposed for a whole recurring series; propose it for one "
                "occurrence (MS-OXOCAL 3.1.4.8.4.1).",
                response=reply.kind,
            )
        if not meeting.allow_new_time_proposal:
            raise RuleError(
                E.PROPOSALS_NOT_ALLOWED,
                "The organizer does not allow new time proposals for this meeting "
                "(AllowNewTimeProposal is false).",
                response=reply.kind,
            )

    def _reply_message(
        self, actor: str, meeting: Item, reply: Reply, now: datetime, folder: str, is_draft: bool = False
    ) -> Item:
        prefix = PROPOSAL_SUBJECT_PREFIX if reply.is_proposal else REPLY_SUBJECT_PREFIX[reply.kind]
        return Item(
            id=ids.new_item_id(),
            mailbox=actor,
            folder=folder,
            kind=MEETING_RESPONSE,
            change_key=ids.new_change_key(),
            item_class=REPLY_ITEM_CLASS[reply.kind],
            subject=prefix + meeting.subject,
            body=reply.body,
            body_type=reply.body_type,
            created=now,
            received=now,
            sender=self._person(actor),
            to=[meeting.organizer] if meeting.organizer else [],
            is_read=True,
            is_draft=is_draft,
            uid=meeting.uid,
            start=meeting.start,
            end=meeting.end,
            location=meeting.location,
            organizer=meeting.organizer,
            is_meeting=True,
            sequence=meeting.sequence,
            response=reply.kind,
            proposed_start=reply.proposed_start,
            proposed_end=reply.proposed_end,
        )

    def _deliver_reply(
        self, tx: Transaction, actor: str, meeting: Item, reply: Reply, message: Item, now: datetime
    ) -> None:
        organizer = meeting.organizer
        if organizer is None or self.directory.get(organizer.smtp) is None:
            return  # an organizer outside this server: nothing to update here
        organizers_item = self._organizers_item(tx, organizer.smtp, meeting.uid)
        if organizers_item is not None:
            entry = organizers_item.attendee(actor)
            if entry is None:
                entry = Attendee(actor, self._name(actor), _role_for(self.directory, actor))
                organizers_item.attendees.append(entry)
            entry.response = reply.kind
            entry.last_response_time = now
            entry.proposed_start = reply.proposed_start
            entry.proposed_end = reply.proposed_end
            organizers_item.change_key = ids.new_change_key()
            tx.put(organizers_item)
        delivered = message.copy(
            id=ids.new_item_id(),
            mailbox=organizer.smtp,
            folder=INBOX,
            change_key=ids.new_change_key(),
            is_read=False,
            associated_item_id=organizers_item.id if organizers_item else None,
        )
        if organizers_item is not None:
            delivered.start, delivered.end = organizers_item.start, organizers_item.end
        tx.put(delivered)

    # --- organizer changes ---------------------------------------------------------

    def update_item(
        self,
        actor: str,
        item_id: str,
        change_key: str | None,
        changes: dict[str, object],
        conflict: str = AUTO_RESOLVE,
        send: str = SEND_NONE,
        prepare: Callable[[Item, dict[str, object]], dict[str, object]] | None = None,
    ) -> Item:
        """Change fields of an item. ``changes["attendees"]`` (a list of Attendee) is the
        organizer's new attendee list: newcomers get a new request, the removed a
        cancellation, the others the update.

        ``prepare``, when given, is called with the item as read in this transaction and
        ``changes`` before anything else is checked, and returns the changes to make (or
        raises): what a caller would otherwise work out from a read of its own (merging
        into the item's lists, refusing by kind), without reading the item twice."""
        if prepare is None:
            changes, wanted = _updatable(changes)
        with self.store.transaction() as tx:
            item = self._owned(tx, actor, item_id)
            if prepare is not None:
                changes, wanted = _updatable(prepare(item, changes))
            if item.master_id:
                return series.update_occurrence(self, tx, actor, item, change_key, changes, conflict, send)
            # Project decision: a stale ChangeKey is a conflict unless the client said
            # AlwaysOverwrite (Exchange may merge some AutoResolve cases; we never do).
            if change_key and change_key != item.change_key and conflict != ALWAYS_OVERWRITE:
                raise RuleError(
                    E.STALE_CHANGE_KEY,
                    "The item was changed since the ChangeKey the client sent; read it again.",
                )
            if not set(changes) <= {"is_read", "categories", "extended", "in_reply_to", "culture",
                                    "message_fields", "reply_to"} and item.kind != CALENDAR_ITEM and (
                set(changes) & (_TIME_FIELDS | {"location", "allow_new_time_proposal", "free_busy"})
            ):
                raise RuleError(E.INVALID_FIELD_VALUE, "Only calendar items have times and locations.")
            is_organizer_meeting = item.kind == CALENDAR_ITEM and item.is_meeting and item.is_organized_by(actor)
            if item.kind == CALENDAR_ITEM and item.is_meeting and not item.is_organized_by(actor):
                if set(changes) & _ORGANIZER_ONLY_FIELDS:
                    raise RuleError(E.NOT_ORGANIZER, "Only the organizer can change AllowNewTimeProposal.")
            added: set[str] = set()
            removed: list[Attendee] = []
            if wanted is not None:
                if item.kind != CALENDAR_ITEM or not item.is_organized_by(actor):
                    raise RuleError(E.NOT_ORGANIZER, "Only the organizer can change a meeting's attendees.")
                added, removed = self._set_attendees(item, actor, list(wanted))  # type: ignore[arg-type]
                is_organizer_meeting = is_organizer_meeting or bool(item.attendees)
                item.is_meeting = item.is_meeting or bool(item.attendees)
            old_start, old_end, old_all_day = item.start, item.end, item.is_all_day
            for name, value in changes.items():
                setattr(item, name, value)
            self._check_times(item.start, item.end)
            if item.is_all_day and item.start is not None and item.end is not None and (
                    set(changes) & (_TIME_FIELDS | {"time_zone", "end_time_zone"})):
                item.start, item.end = zones.snap_all_day(
                    item.start, item.end, zones.item_zone(item.time_zone),
                    zones.item_zone(item.end_time_zone or item.time_zone))
            if "recurrence" in changes or (item.recurrence and set(changes) & _TIME_FIELDS):
                series.repattern(item, changes)
            time_changed = (item.start, item.end, item.is_all_day) != (old_start, old_end, old_all_day) or (
                "recurrence" in changes)
            item.change_key = ids.new_change_key()
            if is_organizer_meeting and send != SEND_NONE:
                item.sequence += 1
                if time_changed:
                    for a in item.attendees:
                        a.response = NO_RESPONSE
                        a.last_response_time = None
                        a.proposed_start = a.proposed_end = None
                kind = FULL_UPDATE if time_changed else INFORMATIONAL_UPDATE
                for gone in removed:
                    self._cancel_for(tx, item, gone.smtp, self.now())
                item.meeting_request_was_sent = True
                return self._save_and_send(tx, item, kind, save_copy=send == SEND_AND_SAVE, newcomers=added)
            tx.put(item)
            return item

    def _set_attendees(self, item: Item, actor: str, wanted: list[Attendee]) -> tuple[set[str], list[Attendee]]:
        """Replace the attendee list, keeping the answers of those who stay; returns the
        newcomers' addresses (lower case) and the removed entries."""
        old = {a.smtp.lower(): a for a in item.attendees}
        new: list[Attendee] = []
        for a in wanted:
            key = a.smtp.lower()
            if key == actor.lower() or any(x.smtp.lower() == key for x in new):
                continue
            kept = old.get(key)
            if kept is not None:
                kept.role = a.role
                new.append(kept)
            else:
                new.append(Attendee(a.smtp, a.name or self._name(a.smtp), a.role, UNKNOWN))
        keys = {a.smtp.lower() for a in new}
        item.attendees = new
        return keys - set(old), [a for k, a in old.items() if k not in keys]

    def delete_item(
        self, actor: str, item_id: str, how: str = HARD_DELETE, send_cancellations: str = SEND_NONE,
        comment: str = "",
    ) -> None:
        """Delete an item; the organizer's meeting (with a send mode) sends cancellations
        carrying ``comment``. One occurrence leaves its series."""
        with self.store.transaction() as tx:
            item = self._owned(tx, actor, item_id)
            if item.master_id:
                series.delete_occurrence(self, tx, actor, item, send_cancellations, comment=comment)
                return
            if (
                item.kind == CALENDAR_ITEM
                and item.is_meeting
                and item.is_organized_by(actor)
                and send_cancellations != SEND_NONE
                and not item.is_cancelled
            ):
                self._send_cancellation(tx, item, save_copy=send_cancellations == SEND_AND_SAVE, comment=comment)
            if how == MOVE_TO_DELETED and item.folder != DELETED:
                item.folder = DELETED
                item.change_key = ids.new_change_key()
                tx.put(item)
            else:
                tx.delete(item.id)

    def cancel_meeting(self, actor: str, item_id: str, comment: str = "") -> None:
        """The organizer cancels a meeting: cancellations (carrying ``comment``) go to
        every attendee, a copy to Sent Items, and the meeting to Deleted Items."""
        with self.store.transaction() as tx:
            item = self._owned(tx, actor, item_id)
            if item.kind != CALENDAR_ITEM or not item.is_meeting:
                raise RuleError(E.NOT_A_MEETING, "The item is not a meeting with attendees.")
            if not item.is_organized_by(actor):
                raise RuleError(E.NOT_ORGANIZER, "Only the organizer can cancel a meeting.")
            if item.is_cancelled:
                raise RuleError(E.MEETING_CANCELLED, "The meeting was cancelled already.")
            if item.master_id:  # one occurrence of a series: cancelled for that instance only
                series.delete_occurrence(self, tx, actor, item, SEND_AND_SAVE, comment=comment)
                return
            self._send_cancellation(tx, item, save_copy=True, comment=comment)
            item.folder = DELETED
            item.change_key = ids.new_change_key()
            tx.put(item)

    def remove_from_calendar(self, actor: str, item_id: str) -> Item | None:
        """The attendee's RemoveItem: a cancelled meeting leaves the calendar; the
        cancellation notice, moved to Deleted Items, is returned (rules/cancellations.py)."""
        with self.store.transaction() as tx:
            return cancellations.remove_from_calendar(self, tx, actor, item_id)

    # --- delivery ------------------------------------------------------------------

    def _save_and_send(self, tx: Transaction, meeting: Item, request_type: str, save_copy: bool,
                       newcomers: frozenset[str] | set[str] = frozenset()) -> Item:
        """Save the organizer's meeting, deliver it, and return it as delivery left it
        (rooms answer at once, which updates its attendee list). ``newcomers`` (lower-case
        addresses) get a new request whatever ``request_type`` the others get."""
        tx.put(meeting)
        self._send_request(tx, meeting, request_type, save_copy, newcomers)
        return tx.get(meeting.id) or meeting

    def _send_request(self, tx: Transaction, meeting: Item, request_type: str, save_copy: bool,
                      newcomers: frozenset[str] | set[str] = frozenset()) -> None:
        """Deliver the meeting (new or updated) to every attendee hosted here."""
        now = self.now()
        rooms: list[str] = []
        for attendee in meeting.attendees:
            mailbox = self.directory.get(attendee.smtp)
            if mailbox is None:
                continue  # outside this server
            kind = NEW_REQUEST if attendee.smtp.lower() in newcomers else request_type
            self._deliver_request(tx, mailbox.smtp, meeting, kind, now)
            if mailbox.is_room:
                rooms.append(mailbox.smtp)
        if save_copy:
            tx.put(self._request_copy(meeting, meeting.mailbox, SENT, request_type, now, None, is_read=True))
        for room in rooms:
            self._room_answers(tx, room, meeting)

    def _request_copy(
        self, meeting: Item, mailbox: str, folder: str, request_type: str, now: datetime,
        associated: str | None, is_read: bool = False,
    ) -> Item:
        return meeting.copy(
            id=ids.new_item_id(),
            mailbox=mailbox,
            folder=folder,
            kind=MEETING_REQUEST,
            change_key=ids.new_change_key(),
            item_class=REQUEST_ITEM_CLASS,
            received=now,
            created=now,
            sender=meeting.organizer,
            to=[Person(a.smtp, a.name) for a in meeting.attendees if a.role == "required"],
            cc=[Person(a.smtp, a.name) for a in meeting.attendees if a.role == "optional"],
            is_read=is_read,
            my_response=None,
            request_type=request_type,
            associated_item_id=associated,
            free_busy=meeting.free_busy,
        )

    def _deliver_request(
        self, tx: Transaction, smtp: str, meeting: Item, request_type: str, now: datetime
    ) -> None:
        # Superseded requests leave the inbox, marked out of date, as Exchange's Calendar
        # Attendant removes old meeting messages (RemoveOldMeetingMessages, on by default).
        for old in _copies(tx, smtp, meeting, (MEETING_REQUEST,), INBOX):
            old.is_out_of_date = True
            old.folder = DELETED
            old.change_key = ids.new_change_key()
            tx.put(old)
        calendar_item = _first(_copies(tx, smtp, meeting, (CALENDAR_ITEM,)), lambda i: True)
        fields = dict(
            subject=meeting.subject,
            body=meeting.body,
            body_type=meeting.body_type,
            start=meeting.start,
            end=meeting.end,
            location=meeting.location,
            is_all_day=meeting.is_all_day,
            organizer=meeting.organizer,
            attendees=[Attendee(a.smtp, a.name, a.role, UNKNOWN) for a in meeting.attendees],
            allow_new_time_proposal=meeting.allow_new_time_proposal,
            sequence=meeting.sequence,
            is_meeting=True,
            is_cancelled=False,
            # Private / Confidential / Personal travel with every copy, and with updates.
            sensitivity=meeting.sensitivity,
            time_zone=meeting.time_zone,
            end_time_zone=meeting.end_time_zone,
            recurrence=meeting.recurrence,
            modified_occurrences=[dict(e, fields=dict(e["fields"])) for e in meeting.modified_occurrences],
            deleted_occurrences=list(meeting.deleted_occurrences),
            calendar_type=meeting.calendar_type,
        )
        if calendar_item is None:
            calendar_item = Item(
                id=ids.new_item_id(),
                mailbox=smtp,
                folder=CALENDAR,
                kind=CALENDAR_ITEM,
                item_class=APPOINTMENT_ITEM_CLASS,
                created=now,
                received=now,
                sender=meeting.organizer,
                uid=meeting.uid,
                my_response=NO_RESPONSE,
                free_busy=TENTATIVE,
                **fields,
            )
        else:
            for name, value in fields.items():
                setattr(calendar_item, name, value)
            if request_type == FULL_UPDATE or calendar_item.folder == DELETED:
                calendar_item.my_response = NO_RESPONSE
                calendar_item.free_busy = TENTATIVE
                calendar_item.folder = CALENDAR
        calendar_item.change_key = ids.new_change_key()
        tx.put(calendar_item)
        tx.put(self._request_copy(meeting, smtp, INBOX, request_type, now, calendar_item.id))

    def _room_answers(self, tx: Transaction, room: str, meeting: Item) -> None:
        """Rooms book themselves: accept when free, decline when another booking overlaps."""
        request = _last(
            _copies(tx, room, meeting, (MEETING_REQUEST,), INBOX),
            lambda i: not i.is_out_of_date,
        )
        if request is None or meeting.start is None or meeting.end is None:
            return
        busy = any(
            not _same_meeting(other, meeting) and other.free_busy not in (FREE,) and not other.is_cancelled
            for other in series.room_conflicts(tx, room, meeting)
        )
        self._respond(tx, room, request.id, Reply(DECLINE if busy else ACCEPT), SEND_AND_SAVE_COPY)

    def _send_cancellation(self, tx: Transaction, meeting: Item, save_copy: bool, comment: str = "") -> None:
        now = self.now()
        meeting.is_cancelled = True
        meeting.sequence += 1
        for attendee in meeting.attendees:
            self._cancel_for(tx, meeting, attendee.smtp, now, comment)
        if save_copy:
            tx.put(self._cancellation(meeting, meeting.mailbox, SENT, now, None, is_read=True, comment=comment))

    def _cancel_for(self, tx: Transaction, meeting: Item, smtp: str, now: datetime, comment: str = "") -> None:
        """One attendee's side of a cancellation: their calendar item cancelled, the notice
        in their Inbox (nothing for a mailbox outside this server)."""
        mailbox = self.directory.get(smtp)
        if mailbox is None:
            return
        calendar_item = _first(_copies(tx, mailbox.smtp, meeting, (CALENDAR_ITEM,)), lambda i: True)
        if calendar_item is not None:
            calendar_item.is_cancelled = True
            calendar_item.sequence = meeting.sequence
            calendar_item.free_busy = FREE
            calendar_item.subject = CANCELLED_SUBJECT_PREFIX + meeting.subject
            calendar_item.change_key = ids.new_change_key()
            tx.put(calendar_item)
        tx.put(self._cancellation(meeting, mailbox.smtp, INBOX, now,
                                  calendar_item.id if calendar_item else None, comment=comment))

    def _cancellation(self, meeting: Item, mailbox: str, folder: str, now: datetime,
                      associated: str | None, is_read: bool = False, comment: str = "") -> Item:
        notice = self._request_copy(meeting, mailbox, folder, "", now, associated, is_read=is_read)
        if comment:
            notice.body, notice.body_type = comment, "Text"
        notice.kind = MEETING_CANCELLATION
        notice.item_class = CANCELLED_ITEM_CLASS
        notice.subject = CANCELLED_SUBJECT_PREFIX + meeting.subject
        notice.request_type = None
        notice.is_cancelled = True
        return notice

    # --- helpers -------------------------------------------------------------------

    def _owned(self, tx: Transaction, actor: str, item_id: str) -> Item:
        if occurrences.parse_occurrence_id(item_id) is not None:
            return series.owned_occurrence(self, tx, actor, item_id)
        return owned_item(tx, actor, item_id)

    def _organizers_item(self, tx: Transaction, organizer: str, uid: str | None) -> Item | None:
        return _first(
            tx.by_uid(organizer, uid or "", (CALENDAR_ITEM,)),
            lambda i: i.is_organized_by(organizer) and i.folder != DELETED,
        )

    def _place(self, base: Item, mailbox: str, folder: str, **changes: object) -> Item:
        return base.copy(id=ids.new_item_id(), mailbox=mailbox, folder=folder,
                         change_key=ids.new_change_key(), **changes)

    def _person(self, smtp: str) -> Person:
        mailbox = self.directory.get(smtp)
        return Person(mailbox.smtp, mailbox.name) if mailbox else Person(smtp, smtp)

    def _resolve(self, person: Person) -> Person:
        """A recipient given by address gets its display name, as Exchange resolves it."""
        mailbox = self.directory.get(person.smtp)
        return Person(mailbox.smtp, mailbox.name) if mailbox else Person(person.smtp, person.name or person.smtp)

    def _name(self, smtp: str) -> str:
        mailbox = self.directory.get(smtp)
        return mailbox.name if mailbox else smtp

    @staticmethod
    def _check_times(start: datetime | None, end: datetime | None) -> None:
        if start is not None and end is not None and end < start:
            raise RuleError(E.END_BEFORE_START, "The end time must not be before the start time.")
        if start is not None and end is not None and end > _years_later(start, MAX_DURATION_YEARS):
            raise RuleError(E.DURATION_TOO_LONG,
                            f"A calendar item may last at most {MAX_DURATION_YEARS} years.")

    def _check_recipients(self, count: int, what: str) -> None:
        if count > self.limits.max_recipients:
            raise RuleError(E.TOO_MANY_RECIPIENTS,
                            f"There are {count} {what}; this server allows at most {self.limits.max_recipients}.")


# Exchange refuses calendar items longer than this (ErrorCalendarDurationIsTooLong).
MAX_DURATION_YEARS = 5


def _years_later(moment: datetime, years: int) -> datetime:
    """The same moment ``years`` later (29 February becomes 28 February); the last
    representable time when that is past 9999-12-31."""
    if moment.year + years > 9999:
        return datetime.max.replace(tzinfo=moment.tzinfo)
    day = 28 if (moment.month, moment.day) == (2, 29) else moment.day
    return moment.replace(year=moment.year + years, day=day)


def _updatable(changes: dict[str, object]) -> tuple[dict[str, object], object]:
    """UpdateItem's changes without the attendee list, and the list (None: unchanged);
    a field that cannot be updated is refused."""
    changes = dict(changes)
    wanted = changes.pop("attendees", None)
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise RuleError(E.INVALID_FIELD_VALUE, f"Cannot update {', '.join(sorted(unknown))}.")
    return changes, wanted


def _hosted_recipients(directory: Directory, people: Iterable[Person]) -> list[str]:
    """The mailboxes hosted here among ``people``, each once, in order."""
    seen: dict[str, str] = {}
    for person in people:
        mailbox = directory.get(person.smtp)
        if mailbox is not None:
            seen.setdefault(mailbox.smtp.lower(), mailbox.smtp)
    return list(seen.values())


def _organizer_of(item: Item) -> str | None:
    return item.organizer.smtp.lower() if item.organizer is not None else None


def _same_meeting(item: Item, meeting: Item) -> bool:
    """A UID names a meeting only together with its organizer: anyone may choose a UID
    (calendar:UID), so another user's meeting with the same UID is a different meeting."""
    return item.uid == meeting.uid and _organizer_of(item) == _organizer_of(meeting)


def _copies(tx: Transaction, smtp: str, meeting: Item, kinds: tuple[str, ...],
            folder: str | None = None) -> list[Item]:
    """``smtp``'s items (of these kinds, in this folder) of the same meeting as ``meeting``."""
    return [i for i in tx.by_uid(smtp, meeting.uid or "", kinds, folder) if _same_meeting(i, meeting)]


def _role_for(directory: Directory, smtp: str) -> str:
    mailbox = directory.get(smtp)
    return RESOURCE if mailbox is not None and mailbox.is_room else "required"


def _first(items: Iterable[Item], pred: Callable[[Item], bool]) -> Item | None:
    for item in items:
        if pred(item):
            return item
    return None


def _last(items: Iterable[Item], pred: Callable[[Item], bool]) -> Item | None:
    found = None
    for item in items:
        if pred(item):
            found = item
    return found
