"""GetUserAvailability for proposals: which requests to make, and what the answers
mean for each proposal. Pure functions; the client does the calls.

Many proposals share attendees and lie close together in time, so instead of one
request per proposal the client asks once per group of at most ``MAX_MAILBOXES``
mailboxes over a window of at most ``MAX_WINDOW`` (Exchange's limits: 100 mailboxes,
42 days) with the Detailed view, and cuts each proposal's slot out of the events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import Attendee, AttendeeAvailability, BusyEvent, Meeting, Proposal

MAX_MAILBOXES = 100
MAX_WINDOW = timedelta(days=42)

# Highest wins, as in MergedFreeBusy (0 free, 1 tentative, 2 busy, 3 OOF, 4 no data);
# WorkingElsewhere does not keep anyone from a meeting.
_RANK = {"Free": 0, "WorkingElsewhere": 0, "Tentative": 1, "Busy": 2, "OOF": 3}
_STATUS = {0: "free", 1: "tentative", 2: "busy", 3: "oof"}


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def windows_for(proposals: list[Proposal], limit: timedelta = MAX_WINDOW) -> list[tuple[Window, list[Proposal]]]:
    """Group proposals, sorted by start, into windows no longer than ``limit``."""
    groups: list[tuple[Window, list[Proposal]]] = []
    for p in sorted(proposals, key=lambda p: (p.proposed_start, p.proposed_end)):
        if groups:
            window, members = groups[-1]
            end = max(window.end, p.proposed_end)
            if end - window.start <= limit:
                groups[-1] = (Window(window.start, end), members + [p])
                continue
        groups.append((Window(p.proposed_start, p.proposed_end), [p]))
    return groups


def attendees_of(proposal: Proposal) -> list[Attendee]:
    """Everyone the move would concern: the organizer, attendees, rooms and resources."""
    m = proposal.meeting
    if m is None:
        return [Attendee(proposal.attendee, "Required")]
    seen: set[str] = set()
    out = []
    people = ([Attendee(m.organizer, "Organizer")] if m.organizer else []) + m.attendees
    for a in people:
        key = a.person.email.lower()
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def _is_the_meeting_itself(event: BusyEvent, meeting: Meeting | None) -> bool:
    # Each attendee's own copy of this meeting shows as busy at its current time; it is
    # not a conflict for moving that same meeting. Free/busy carries no item id we can
    # compare (CalendarEventDetails.ID is a store id), so match time and subject.
    if meeting is None or meeting.start is None:
        return False
    if event.start != meeting.start or event.end != meeting.end:
        return False
    return event.subject is None or event.subject == meeting.subject


def assess(attendee: Attendee, events: list[BusyEvent] | None, error: str | None,
           start: datetime, end: datetime, meeting: Meeting | None) -> AttendeeAvailability:
    if events is None:
        return AttendeeAvailability(attendee, "unknown", [], error or "no free/busy answer")
    conflicts = [e for e in events
                 if e.start < end and e.end > start and _RANK.get(e.busy_type, 4) > 0
                 and not _is_the_meeting_itself(e, meeting)]
    if not conflicts:
        return AttendeeAvailability(attendee, "free", [])
    worst = max(_RANK.get(e.busy_type, 4) for e in conflicts)
    return AttendeeAvailability(attendee, _STATUS.get(worst, "unknown"), conflicts)
