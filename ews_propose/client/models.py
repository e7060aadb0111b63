"""What the client hands back: plain dataclasses named in EWS's vocabulary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ItemRef:
    """An EWS ItemId: the id, and the ChangeKey of the version that was read."""

    id: str
    change_key: str | None = None


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class Attendee:
    person: Person
    kind: str  # GetUserAvailability's AttendeeType: Organizer, Required, Optional, Room, Resource
    response_type: str | None = None
    proposed_start: datetime | None = None
    proposed_end: datetime | None = None


@dataclass
class MeetingRequest:
    """A meeting request in the attendee's Inbox, as read with its ResponseObjects."""

    ref: ItemRef
    subject: str
    organizer: Person | None
    start: datetime | None
    end: datetime | None
    location: str | None
    allow_new_time_proposal: bool | None
    meeting_request_type: str | None
    # Whether the server listed <t:ProposeNewTime/> in ResponseObjects (read from the XML:
    # zeep maps that empty element to None, the same as an absent one).
    offers_propose_new_time: bool
    calendar_item: ItemRef | None = None
    calendar_item_type: str | None = None  # RecurringMaster for a series' request

    @property
    def id(self) -> str:
        return self.ref.id

    @property
    def is_series(self) -> bool:
        """The request invites to a whole recurring series: propose for one occurrence."""
        return self.calendar_item_type == "RecurringMaster"


@dataclass
class ReplyResult:
    """What an attendee's answer produced. ``kind`` is ``proposal`` (the server took
    ProposedStart/ProposedEnd) or ``email`` (the fallback message to the organizer)."""

    kind: str
    ids: list[ItemRef]
    calendar_item: ItemRef | None = None
    meeting_request: ItemRef | None = None


@dataclass
class Meeting:
    """The organizer's calendar item behind a proposal (AssociatedCalendarItemId)."""

    ref: ItemRef
    subject: str
    start: datetime | None
    end: datetime | None
    location: str | None
    organizer: Person | None
    attendees: list[Attendee] = field(default_factory=list)


@dataclass
class Proposal:
    """A MeetingResponse carrying ProposedStart/ProposedEnd, with the meeting behind it."""

    response: ItemRef
    attendee: Person
    subject: str
    response_type: str
    comment: str
    original_start: datetime | None
    original_end: datetime | None
    proposed_start: datetime
    proposed_end: datetime
    received: datetime | None
    meeting_ref: ItemRef | None
    meeting: Meeting | None = None
    # The organizer declined it (``decline_proposal`` moves the MeetingResponse to
    # Deleted Items once the attendee is told).
    declined: bool = False
    # The original start of the one occurrence of a series the proposal is for
    # (the MeetingResponse's RecurrenceId); None for a single meeting.
    recurrence_id: datetime | None = None

    @property
    def id(self) -> str:
        return self.response.id

    @property
    def is_open(self) -> bool:
        """Not declined; the meeting still exists, still sits at the time the proposal
        was made against, and the attendee's latest proposal on it is this one (the
        server clears an attendee's proposal when the meeting moves or they answer again)."""
        m = self.meeting
        if self.declined or m is None or m.start != self.original_start or m.end != self.original_end:
            return False
        mine = [a for a in m.attendees if a.person.email.lower() == self.attendee.email.lower()]
        if not mine:
            return True
        return any((a.proposed_start, a.proposed_end) == (self.proposed_start, self.proposed_end)
                   for a in mine)


@dataclass(frozen=True)
class BusyEvent:
    start: datetime
    end: datetime
    busy_type: str  # Free, Tentative, Busy, OOF, WorkingElsewhere, NoData
    subject: str | None = None
    location: str | None = None


@dataclass
class AttendeeAvailability:
    attendee: Attendee
    status: str  # free, tentative, busy, oof, unknown
    conflicts: list[BusyEvent] = field(default_factory=list)
    error: str | None = None


@dataclass
class Availability:
    """Who is free over a proposal's window."""

    proposal: Proposal
    start: datetime
    end: datetime
    attendees: list[AttendeeAvailability]

    @property
    def everyone_free(self) -> bool:
        return all(a.status == "free" for a in self.attendees)

    def with_status(self, status: str) -> list[AttendeeAvailability]:
        return [a for a in self.attendees if a.status == status]


@dataclass
class AcceptResult:
    """One proposal's outcome. ``outdated``: the meeting is gone, has moved since the
    proposal, or another proposal for it was accepted in the same batch."""

    proposal: Proposal
    meeting: ItemRef | None
    error: str | None = None
    outdated: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Occurrence:
    """A calendar item as a CalendarView lists it: a single meeting, or one occurrence or
    exception of a series (never the master). A proposal is made for one of these when
    the meeting recurs: the series' request offers none (MS-OXOCAL 3.1.4.8.4.1)."""

    ref: ItemRef
    subject: str
    organizer: Person | None
    start: datetime | None
    end: datetime | None
    location: str | None
    allow_new_time_proposal: bool | None
    calendar_item_type: str  # Single, Occurrence, Exception
    recurrence_id: datetime | None  # an occurrence's original start
    offers_propose_new_time: bool

    @property
    def id(self) -> str:
        return self.ref.id


@dataclass(frozen=True)
class Suggestion:
    """One meeting time GetUserAvailability suggests (SuggestionsViewOptions)."""

    start: datetime
    end: datetime
    quality: str  # Excellent, Good, Fair, Poor
    is_work_time: bool
    conflicts: int  # attendees (of those asked about) busy, tentative or away then
