"""``EwsClient``: the attendee's and the organizer's side of "propose a new time"."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import requests

from ..versions import GATES, Build
from . import availability as fb
from .calendar import CalendarMixin
from .errors import (
    EwsClientError,
    EwsResponseError,
    NotFoundError,
    ProposalNotSupportedError,
    ProposalOutdatedError,
)
from .models import (
    AcceptResult,
    Attendee,
    Availability,
    BusyEvent,
    ItemRef,
    Meeting,
    MeetingRequest,
    Occurrence,
    Person,
    Proposal,
    ReplyResult,
)
from .session import DEFAULT_SCHEMA, NS, Session, check, items_of
from .times import as_utc, require_aware, to_wire

RESPONSE_KINDS = {
    "accept": "AcceptItem",
    "tentative": "TentativelyAcceptItem",
    "decline": "DeclineItem",
}
MEETING_REQUEST_CLASS = "IPM.Schedule.Meeting.Request"
MEETING_RESPONSE_CLASS = "IPM.Schedule.Meeting.Resp"

# Only the fields each step reads: a batched GetItem stays small.
_REQUEST_FIELDS = (
    "item:ItemClass", "item:Subject", "item:ResponseObjects", "calendar:Organizer",
    "calendar:Start", "calendar:End", "calendar:Location", "calendar:AllowNewTimeProposal",
    "meetingRequest:MeetingRequestType", "meeting:AssociatedCalendarItemId", "calendar:CalendarItemType",
)
_RESPONSE_FIELDS = (
    "item:ItemClass", "item:Subject", "item:Body", "item:DateTimeReceived", "message:From",
    "message:Sender", "meeting:AssociatedCalendarItemId", "meeting:ResponseType",
    "calendar:Start", "calendar:End", "meeting:ProposedStart", "meeting:ProposedEnd",
    "item:ParentFolderId", "calendar:RecurrenceId",
)
_MEETING_FIELDS = (
    "item:Subject", "calendar:Start", "calendar:End", "calendar:Location", "calendar:Organizer",
    "calendar:RequiredAttendees", "calendar:OptionalAttendees", "calendar:Resources",
)
_ATTENDEE_KINDS = (("RequiredAttendees", "Required"), ("OptionalAttendees", "Optional"),
                   ("Resources", "Resource"))
_PROPOSED_PREFIX = "New Time Proposed: "


class EwsClient(CalendarMixin):
    """One mailbox on an EWS server.

    ``EwsClient(endpoint, user=..., password=...)`` for HTTP Basic, or
    ``EwsClient(endpoint, token=...)`` for a bearer token. ``schema_version`` is the
    RequestServerVersion sent with every request (default Exchange2013, the oldest
    that has ProposedStart/ProposedEnd). ``batch_size`` caps ItemIds per GetItem and
    ItemChanges per UpdateItem; ``page_size`` caps a FindItem page.
    """

    def __init__(self, endpoint: str, *, user: str | None = None, password: str | None = None,
                 token: str | None = None, schema_version: str = DEFAULT_SCHEMA,
                 batch_size: int = 100, page_size: int = 1000, timeout: float = 60.0,
                 http: requests.Session | None = None, ca_file: str | None = None) -> None:
        if batch_size < 1 or page_size < 1:
            raise ValueError("batch_size and page_size must be at least 1")
        self.session = Session(endpoint, user=user, password=password, token=token,
                               schema_version=schema_version, timeout=timeout, http=http,
                               ca_file=ca_file)
        self.batch_size = batch_size
        self.page_size = page_size
        self.user = user
        self._folder_ids: dict[str, str] = {}

    # --- server ---------------------------------------------------------------------

    @property
    def round_trips(self) -> int:
        return self.session.round_trips

    @property
    def server_build(self) -> Build:
        """The build from the server's ServerVersionInfo (asks once if nothing was read yet)."""
        if self.session.server_build is None:
            self.session.messages(
                "GetFolder", FolderShape={"BaseShape": "IdOnly"},
                FolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "inbox"}}]})
        if self.session.server_build is None:
            raise EwsClientError(f"{self.session.endpoint} sent no ServerVersionInfo")
        return self.session.server_build

    def server_takes_proposals(self) -> bool:
        """The one gate table decides, for this build and the schema version we request."""
        return GATES["propose_new_time"].open_for(self.server_build, self.session.schema_version)

    def folder_id(self, name: str) -> str:
        """The FolderId of a distinguished folder (``deleteditems``, ...), asked once."""
        if name not in self._folder_ids:
            (msg,) = self.session.messages(
                "GetFolder", FolderShape={"BaseShape": "IdOnly"},
                FolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": name}}]})
            check(msg, "GetFolder")
            folder = next(iter(msg.Folders._value_1[0].values()))
            self._folder_ids[name] = folder.FolderId.Id
        return self._folder_ids[name]

    # --- low-level reads --------------------------------------------------------------

    def _find_ids(self, folder: str, item_class_prefix: str | None = None,
                  exact_class: str | None = None) -> list[str]:
        """Every item id in a distinguished folder, one FindItem per page."""
        restriction = None
        if exact_class:
            restriction = {"IsEqualTo": {"FieldURI": {"FieldURI": "item:ItemClass"},
                                         "FieldURIOrConstant": {"Constant": {"Value": exact_class}}}}
        elif item_class_prefix:
            restriction = {"Contains": {"FieldURI": {"FieldURI": "item:ItemClass"},
                                        "Constant": {"Value": item_class_prefix},
                                        "ContainmentMode": "Prefixed",
                                        "ContainmentComparison": "IgnoreCase"}}
        ids: list[str] = []
        offset = 0
        while True:
            request: dict[str, Any] = {
                "Traversal": "Shallow", "ItemShape": {"BaseShape": "IdOnly"},
                "IndexedPageItemView": {"MaxEntriesReturned": self.page_size, "Offset": offset,
                                        "BasePoint": "Beginning"},
                "ParentFolderIds": {"_value_1": [{"DistinguishedFolderId": {"Id": folder}}]},
            }
            if restriction:
                request["Restriction"] = restriction
            # Newest first, said rather than assumed: servers need not keep any order.
            request["SortOrder"] = {"FieldOrder": [{"Order": "Descending",
                                                    "FieldURI": {"FieldURI": "item:DateTimeReceived"}}]}
            (msg,) = self.session.messages("FindItem", **request)
            check(msg, "FindItem")
            root = msg.RootFolder
            page = [value.ItemId.Id for _, value in items_of(root)]
            ids += page
            if root.IncludesLastItemInRange or not page:
                return ids
            offset = (root.IndexedPagingOffset if root.IndexedPagingOffset is not None
                      else offset + len(page))

    def _get_items(self, ids: list[str], fields: Iterable[str], body: bool = False
                   ) -> Iterator[tuple[str, str, Any, Any]]:
        """(id, element name or "", zeep item or None, error or None) for each id, in
        order, ``batch_size`` ids per GetItem."""
        shape: dict[str, Any] = {
            "BaseShape": "IdOnly",
            "AdditionalProperties": {"_value_1": [{"FieldURI": {"FieldURI": f}} for f in fields]},
        }
        if body:
            shape["BodyType"] = "Text"
        for chunk in _chunks(ids, self.batch_size):
            messages = self.session.messages("GetItem", ItemShape=shape,
                                             ItemIds={"ItemId": [{"Id": i} for i in chunk]})
            for item_id, msg in zip(chunk, messages, strict=False):
                if msg.ResponseClass == "Error":
                    yield item_id, "", None, EwsResponseError(msg.ResponseCode or "Error",
                                                              msg.MessageText or "", "GetItem")
                    continue
                ((name, value),) = items_of(msg)
                yield item_id, name, value, None

    def _offered_proposals(self) -> set[str]:
        """Ids of the items in the last answer that list <t:ProposeNewTime/>."""
        envelope = self.session.capture.last
        if envelope is None:
            return set()
        return set(envelope.xpath("//m:Items/*[t:ResponseObjects/t:ProposeNewTime]/t:ItemId/@Id",
                                  namespaces=NS))

    # --- creating a meeting (the organizer's first step) -------------------------------

    def create_meeting(self, subject: str, start: datetime, end: datetime, *,
                       required: Iterable[str] = (), optional: Iterable[str] = (),
                       resources: Iterable[str] = (), location: str | None = None,
                       body: str = "", allow_new_time_proposal: bool = True) -> ItemRef:
        """Create a meeting in this mailbox's calendar and send the invitations."""
        start_wire, end_wire = to_wire(start, "start"), to_wire(end, "end")
        if end <= start:
            raise ValueError(f"the end {end.isoformat()} is not after the start {start.isoformat()}")

        def attendees(addresses: Iterable[str]) -> dict | None:
            found = [{"Mailbox": {"EmailAddress": a}} for a in addresses]
            return {"Attendee": found} if found else None

        item: dict[str, Any] = {"Subject": subject}
        if body:
            item["Body"] = {"_value_1": body, "BodyType": "Text"}
        item.update({"Start": start_wire, "End": end_wire, "Location": location,
                     "RequiredAttendees": attendees(required),
                     "OptionalAttendees": attendees(optional), "Resources": attendees(resources),
                     "AllowNewTimeProposal": allow_new_time_proposal})
        (msg,) = self.session.messages("CreateItem", SendMeetingInvitations="SendToAllAndSaveCopy",
                                       Items={"_value_1": [{"CalendarItem": item}]})
        check(msg, "CreateItem")
        ((_, value),) = items_of(msg)
        return _ref(value.ItemId)

    def meeting(self, item_id: str) -> Meeting:
        """The organizer's calendar item, with attendees and their recorded proposals."""
        found = self.meetings([item_id])
        if item_id not in found:
            raise NotFoundError(f"no calendar item with id {item_id} in this mailbox")
        return found[item_id]

    # --- attendee side ----------------------------------------------------------------

    def meeting_requests(self) -> list[MeetingRequest]:
        """The meeting requests in this mailbox's Inbox, with their ResponseObjects."""
        ids = self._find_ids("inbox", exact_class=MEETING_REQUEST_CLASS)
        return self._read_requests(ids)

    def meeting_request(self, item_id: str) -> MeetingRequest:
        (found,) = self._read_requests([item_id])
        return found

    def _read_requests(self, ids: list[str]) -> list[MeetingRequest]:
        out = []
        for chunk in _chunks(ids, self.batch_size):
            rows = list(self._get_items(chunk, _REQUEST_FIELDS))
            offered = self._offered_proposals()
            for item_id, name, item, error in rows:
                if error is not None:
                    if error.code == "ErrorItemNotFound" and len(ids) == 1:
                        raise NotFoundError(f"no meeting request with id {item_id} in this mailbox")
                    raise error
                if name != "MeetingRequest":
                    if len(ids) == 1:
                        raise EwsClientError(f"item {item_id} is a {name}, not a meeting request")
                    continue
                out.append(MeetingRequest(
                    ref=_ref(item.ItemId), subject=item.Subject or "",
                    organizer=_person(item.Organizer), start=as_utc(item.Start),
                    end=as_utc(item.End), location=item.Location,
                    allow_new_time_proposal=item.AllowNewTimeProposal,
                    meeting_request_type=item.MeetingRequestType,
                    offers_propose_new_time=item.ItemId.Id in offered,
                    calendar_item=_ref(item.AssociatedCalendarItemId),
                    calendar_item_type=item.CalendarItemType,
                ))
        return out

    def can_propose(self, item: MeetingRequest | Occurrence | str) -> bool:
        """True only when the server listed ProposeNewTime for this item AND its build,
        for the schema version we request, passes the propose_new_time gate."""
        request = item if isinstance(item, MeetingRequest | Occurrence) else self.meeting_request(item)
        return request.offers_propose_new_time and self.server_takes_proposals()

    def why_not_propose(self, request: MeetingRequest | Occurrence) -> str | None:
        gate = GATES["propose_new_time"]
        build = self.server_build
        if not gate.server_has(build):
            return (f"the server (build {build}) cannot take a new-time proposal: the feature "
                    f"needs build {gate.min_build} or later")
        if not gate.schema_has(self.session.schema_version):
            return (f"requests under {self.session.schema_version} cannot carry a proposal: "
                    f"use schema version {gate.min_schema} or later")
        if not request.offers_propose_new_time:
            if request.allow_new_time_proposal is False:
                return f"the organizer of {request.subject!r} does not allow new time proposals"
            if isinstance(request, MeetingRequest) and request.is_series:
                return (f"{request.subject!r} is a recurring series: propose a new time for one "
                        "occurrence (EwsClient.occurrences)")
            return f"the server does not offer ProposeNewTime for {request.subject!r}"
        return None

    def propose_new_time(self, item: MeetingRequest | Occurrence | str, start: datetime, end: datetime,
                         response: str = "tentative", comment: str = "",
                         fallback: bool = False) -> ReplyResult:
        """Answer a meeting request with a proposed time.

        Sends AcceptItem / TentativelyAcceptItem / DeclineItem with ProposedStart and
        ProposedEnd and returns the ids the server gave back (the attendee's calendar
        item and the request). When the server or the meeting cannot take a proposal it
        raises ProposalNotSupportedError, or with ``fallback=True`` sends the organizer
        an ordinary email carrying the proposed times instead.
        """
        kind = RESPONSE_KINDS.get(response)
        if kind is None:
            raise ValueError(f"response must be one of {', '.join(RESPONSE_KINDS)}, got {response!r}")
        start_wire, end_wire = to_wire(start, "start"), to_wire(end, "end")
        if end <= start:
            raise ValueError(f"the proposed end {end.isoformat()} is not after the start {start.isoformat()}")
        request = item if isinstance(item, MeetingRequest | Occurrence) else self.meeting_request(item)
        reason = self.why_not_propose(request)
        if reason is not None:
            if not fallback:
                raise ProposalNotSupportedError(reason)
            return self._email_proposal(request, start, end, response, comment)
        reply: dict[str, Any] = {"ReferenceItemId": {"Id": request.ref.id}}
        if comment:
            reply["Body"] = {"_value_1": comment, "BodyType": "Text"}
        reply["ProposedStart"] = start_wire
        reply["ProposedEnd"] = end_wire
        (msg,) = self.session.messages("CreateItem", MessageDisposition="SendAndSaveCopy",
                                       Items={"_value_1": [{kind: reply}]})
        check(msg, "CreateItem")
        ids = [(name, _ref(value.ItemId)) for name, value in items_of(msg)]
        return ReplyResult(
            kind="proposal", ids=[ref for _, ref in ids],
            calendar_item=next((r for n, r in ids if n == "CalendarItem"), None),
            meeting_request=next((r for n, r in ids if n == "MeetingRequest"), None),
        )

    def _email_proposal(self, request: MeetingRequest | Occurrence, start: datetime, end: datetime,
                        response: str, comment: str) -> ReplyResult:
        # What Outlook users did before Exchange 2013 SP1: tell the organizer in a mail.
        if request.organizer is None:
            raise ProposalNotSupportedError(f"{request.subject!r} has no organizer to write to")
        lines = [
            f"I would like to propose a new time for {request.subject!r}.",
            "",
            f"Current time:  {_span(request.start, request.end)}",
            f"Proposed time: {_span(as_utc(start), as_utc(end))}",
            f"My answer: {response}",
        ]
        if comment:
            lines += ["", comment]
        message = {
            "Subject": f"{_PROPOSED_PREFIX}{request.subject}",
            "Body": {"_value_1": "\n".join(lines), "BodyType": "Text"},
            "ToRecipients": {"Mailbox": [{"EmailAddress": request.organizer.email,
                                          "Name": request.organizer.name or None}]},
        }
        (msg,) = self.session.messages("CreateItem", MessageDisposition="SendAndSaveCopy",
                                       Items={"_value_1": [{"Message": message}]})
        check(msg, "CreateItem")
        return ReplyResult(kind="email", ids=[_ref(v.ItemId) for _, v in items_of(msg)])

    # --- organizer side ---------------------------------------------------------------

    def proposals(self, open_only: bool = False) -> list[Proposal]:
        """Every MeetingResponse in the Inbox carrying ProposedStart/ProposedEnd, with the
        meeting behind it; without ``open_only`` also the declined ones in Deleted Items.
        Round trips: FindItem pages, then GetItem batches for the responses and for their
        (distinct) meetings: O(N / batch_size)."""
        ids = self._find_ids("inbox", item_class_prefix=MEETING_RESPONSE_CLASS)
        found = self._read_proposals(ids, folder="inbox")
        if open_only:
            return [p for p in found if p.is_open]
        ids = self._find_ids("deleteditems", item_class_prefix=MEETING_RESPONSE_CLASS)
        return found + self._read_proposals(ids, folder="deleteditems")

    def proposal(self, response_id: str) -> Proposal:
        """One proposal by its MeetingResponse id."""
        found = self._read_proposals([response_id], strict=True)
        if not found:
            raise NotFoundError(f"item {response_id} is not a MeetingResponse carrying a proposal")
        return found[0]

    def _read_proposals(self, ids: list[str], strict: bool = False,
                        folder: str | None = None) -> list[Proposal]:
        """``folder``: where the ids were found, if known; else each item's ParentFolderId
        says whether it is in Deleted Items (declined)."""
        proposals: list[Proposal] = []
        deleted: str | None = None
        for item_id, name, item, error in self._get_items(ids, _RESPONSE_FIELDS, body=True):
            if error is not None:
                if strict:
                    raise NotFoundError(f"no item with id {item_id} in this mailbox") \
                        if error.code == "ErrorItemNotFound" else error
                continue
            if name != "MeetingResponse" or item.ProposedStart is None or item.ProposedEnd is None:
                continue
            sender = _person(item.From) or _person(item.Sender) or Person("")
            subject = item.Subject or ""
            proposals.append(Proposal(
                response=_ref(item.ItemId), attendee=sender,
                subject=subject[len(_PROPOSED_PREFIX):] if subject.startswith(_PROPOSED_PREFIX) else subject,
                response_type=item.ResponseType or "Unknown", comment=_body(item.Body),
                original_start=as_utc(item.Start), original_end=as_utc(item.End),
                proposed_start=as_utc(item.ProposedStart), proposed_end=as_utc(item.ProposedEnd),
                received=as_utc(item.DateTimeReceived), meeting_ref=_ref(item.AssociatedCalendarItemId),
                recurrence_id=as_utc(item.RecurrenceId),
            ))
            parent = getattr(item.ParentFolderId, "Id", None)
            if folder is not None:
                proposals[-1].declined = folder == "deleteditems"
            elif parent is not None:
                deleted = deleted or self.folder_id("deleteditems")
                proposals[-1].declined = parent == deleted
        meetings = self.meetings([p.meeting_ref.id for p in proposals if p.meeting_ref])
        for p in proposals:
            if p.meeting_ref is not None:
                p.meeting = meetings.get(p.meeting_ref.id)
                if p.meeting is not None:
                    p.subject = p.meeting.subject
                    if p.original_start is None and _records(p.meeting, p):
                        # A server that leaves Start/End off the MeetingResponse: while the
                        # meeting still records this proposal, it has not moved since.
                        p.original_start, p.original_end = p.meeting.start, p.meeting.end
        return proposals

    def meetings(self, ids: Iterable[str]) -> dict[str, Meeting]:
        """Calendar items by id (each distinct id read once; missing ones left out)."""
        unique = list(dict.fromkeys(ids))
        out: dict[str, Meeting] = {}
        for item_id, name, item, error in self._get_items(unique, _MEETING_FIELDS):
            if error is None and name == "CalendarItem":
                out[item_id] = self._meeting(item)
        return out

    def _meeting(self, item: Any) -> Meeting:
        attendees = []
        for element, kind in _ATTENDEE_KINDS:
            group = getattr(item, element, None)
            for a in (group.Attendee if group is not None else None) or []:
                person = _person(a)
                if person is None:
                    continue
                attendees.append(Attendee(person, kind, a.ResponseType,
                                          as_utc(a.ProposedStart), as_utc(a.ProposedEnd)))
        return Meeting(ref=_ref(item.ItemId), subject=item.Subject or "", start=as_utc(item.Start),
                       end=as_utc(item.End), location=item.Location,
                       organizer=_person(item.Organizer), attendees=attendees)

    # --- availability -----------------------------------------------------------------

    def availability(self, proposal: Proposal) -> Availability:
        """GetUserAvailability for the organizer, every attendee, rooms and resources,
        over the proposed window: who is free, tentative or busy, and with what."""
        return self.availabilities([proposal])[0]

    def availabilities(self, proposals: list[Proposal]) -> list[Availability]:
        """Availability for many proposals: one GetUserAvailability per group of up to
        100 mailboxes over a window of up to 42 days, not one per proposal."""
        results: dict[int, Availability] = {}
        for window, members in fb.windows_for(proposals):
            mailboxes: dict[str, Attendee] = {}
            for p in members:
                for a in fb.attendees_of(p):
                    mailboxes.setdefault(a.person.email.lower(), a)
            events: dict[str, tuple[list[BusyEvent] | None, str | None]] = {}
            addresses = list(mailboxes)
            for chunk in _chunks(addresses, fb.MAX_MAILBOXES):
                events.update(self._free_busy([mailboxes[a] for a in chunk], window))
            for p in members:
                rows = []
                for a in fb.attendees_of(p):
                    found, error = events.get(a.person.email.lower(), (None, "no answer"))
                    rows.append(fb.assess(a, found, error, p.proposed_start, p.proposed_end, p.meeting))
                results[id(p)] = Availability(p, p.proposed_start, p.proposed_end, rows)
        return [results[id(p)] for p in proposals]

    def busy_times(self, emails: Iterable[str], start: datetime, end: datetime
                   ) -> dict[str, list[BusyEvent]]:
        """Each mailbox's busy, tentative and away times overlapping [start, end), from one
        GetUserAvailability (Detailed view) per 100 mailboxes. A mailbox the server does
        not know raises EwsResponseError."""
        require_aware(start, "start")
        require_aware(end, "end")
        people = [Attendee(Person(e), "Required") for e in dict.fromkeys(emails)]
        out: dict[str, list[BusyEvent]] = {}
        for chunk in _chunks(people, fb.MAX_MAILBOXES):
            for email, (events, error) in self._free_busy(chunk, fb.Window(start, end)).items():
                if events is None:
                    raise EwsResponseError(*(error or "Error: no answer").split(": ", 1), "GetUserAvailability")
                out[email] = [e for e in events if e.start < end and e.end > start and e.busy_type != "Free"]
        return out

    def _free_busy(self, attendees: list[Attendee], window: fb.Window
                   ) -> dict[str, tuple[list[BusyEvent] | None, str | None]]:
        # EWS reads TimeWindow's zone-less times in the request's TimeZone: send a zero
        # bias (UTC, no daylight saving) and the times in UTC.
        no_transition = {"Bias": 0, "Time": "00:00:00", "DayOrder": 1, "Month": 1, "DayOfWeek": "Sunday"}
        result = self.session.call(
            "GetUserAvailability",
            TimeZone={"Bias": 0, "StandardTime": no_transition, "DaylightTime": no_transition},
            MailboxDataArray={"MailboxData": [
                {"Email": {"Address": a.person.email},
                 "AttendeeType": a.kind,
                 "ExcludeConflicts": False}
                for a in attendees]},
            FreeBusyViewOptions={
                "TimeWindow": {"StartTime": _zoneless_utc(window.start),
                               "EndTime": _zoneless_utc(window.end)},
                "MergedFreeBusyIntervalInMinutes": 30, "RequestedView": "Detailed"},
        )
        responses = result.body.FreeBusyResponseArray.FreeBusyResponse or []
        out: dict[str, tuple[list[BusyEvent] | None, str | None]] = {}
        for a, r in zip(attendees, responses, strict=False):
            msg = r.ResponseMessage
            if msg is not None and msg.ResponseClass == "Error":
                out[a.person.email.lower()] = (None, f"{msg.ResponseCode}: {msg.MessageText or ''}".strip())
                continue
            view = r.FreeBusyView
            array = getattr(view, "CalendarEventArray", None) if view is not None else None
            events = []
            for e in (getattr(array, "CalendarEvent", None) or []) if array is not None else []:
                details = getattr(e, "CalendarEventDetails", None)
                events.append(BusyEvent(as_utc(e.StartTime), as_utc(e.EndTime), e.BusyType,
                                        getattr(details, "Subject", None) if details else None,
                                        getattr(details, "Location", None) if details else None))
            out[a.person.email.lower()] = (events, None)
        return out

    # --- acting on proposals ----------------------------------------------------------

    def accept_proposal(self, proposal: Proposal) -> ItemRef:
        """Move the meeting to the proposed time and send the update to everyone."""
        (result,) = self.accept_proposals([proposal])
        if result.outdated:
            raise ProposalOutdatedError(result.error)
        if not result.ok:
            raise EwsClientError(result.error)
        assert result.meeting is not None
        return result.meeting

    def accept_proposals(self, proposals: list[Proposal], retries: int = 3) -> list[AcceptResult]:
        """Accept many proposals: one UpdateItem per ``batch_size`` meetings, each with the
        ChangeKey we read. A meeting changed meanwhile (ErrorIrresolvableConflict) is
        re-read, and retried only if it still sits at the time the proposal was made
        against. Two proposals for one meeting: the first wins, the other is outdated."""
        results: dict[int, AcceptResult] = {}
        pending: list[Proposal] = []
        claimed: set[str] = set()
        for p in proposals:
            problem = _outdated(p)
            if problem is None and p.meeting is not None and p.meeting.ref.id in claimed:
                problem = "another proposal for this meeting is accepted in the same batch"
            if problem is not None:
                results[id(p)] = AcceptResult(p, None, problem, outdated=True)
                continue
            assert p.meeting is not None
            claimed.add(p.meeting.ref.id)
            pending.append(p)
        for _ in range(retries + 1):
            if not pending:
                break
            conflicted = []
            for chunk in _chunks(pending, self.batch_size):
                messages = self._move_meetings(chunk)
                for p, msg in zip(chunk, messages, strict=False):
                    if msg.ResponseClass != "Error":
                        ((_, value),) = items_of(msg) or [("", None)]
                        ref = _ref(value.ItemId) if value is not None else p.meeting.ref
                        results[id(p)] = AcceptResult(p, ref)
                    elif msg.ResponseCode == "ErrorIrresolvableConflict":
                        conflicted.append(p)
                    else:
                        results[id(p)] = AcceptResult(p, None, f"{msg.ResponseCode}: {msg.MessageText or ''}")
            pending = []
            if conflicted:
                fresh = self.meetings(p.meeting.ref.id for p in conflicted)
                for p in conflicted:
                    p.meeting = fresh.get(p.meeting.ref.id)
                    problem = _outdated(p)
                    if problem is not None:
                        results[id(p)] = AcceptResult(p, None, problem, outdated=True)
                    else:
                        pending.append(p)
        for p in pending:
            results[id(p)] = AcceptResult(p, None, "ErrorIrresolvableConflict: the meeting kept "
                                                   "changing; gave up after retrying")
        return [results[id(p)] for p in proposals]

    def _move_meetings(self, proposals: list[Proposal]) -> list[Any]:
        changes = []
        for p in proposals:
            assert p.meeting is not None
            changes.append({
                "ItemId": {"Id": p.meeting.ref.id, "ChangeKey": p.meeting.ref.change_key},
                "Updates": {"_value_1": [
                    {"SetItemField": {"FieldURI": {"FieldURI": "calendar:Start"},
                                      "CalendarItem": {"Start": to_wire(p.proposed_start)}}},
                    {"SetItemField": {"FieldURI": {"FieldURI": "calendar:End"},
                                      "CalendarItem": {"End": to_wire(p.proposed_end)}}},
                ]},
            })
        # NeverOverwrite: the ChangeKey is the version whose time we compared with the
        # proposal's original time; any later change must come back as a conflict.
        return self.session.messages(
            "UpdateItem", ConflictResolution="NeverOverwrite",
            SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy",
            ItemChanges={"ItemChange": changes})

    def decline_proposal(self, proposal: Proposal, comment: str = "") -> list[ItemRef]:
        """Tell the attendee the meeting stays where it is (a plain Message in reply), then
        move the MeetingResponse to Deleted Items, so the proposal is no longer open and
        is not declined twice. A proposal that is no longer open raises
        ProposalOutdatedError and sends nothing."""
        if not proposal.is_open:
            raise ProposalOutdatedError(self._why_closed(proposal))
        lines = [f"The meeting {proposal.subject!r} stays at "
                 f"{_span(proposal.original_start, proposal.original_end)}; "
                 f"your proposed time {_span(proposal.proposed_start, proposal.proposed_end)} "
                 "was declined."]
        if comment:
            lines = [comment, "", *lines]
        message = {
            "Subject": f"Re: {_PROPOSED_PREFIX}{proposal.subject}",
            "Body": {"_value_1": "\n".join(lines), "BodyType": "Text"},
            "ToRecipients": {"Mailbox": [{"EmailAddress": proposal.attendee.email,
                                          "Name": proposal.attendee.name or None}]},
        }
        (msg,) = self.session.messages("CreateItem", MessageDisposition="SendAndSaveCopy",
                                       Items={"_value_1": [{"Message": message}]})
        check(msg, "CreateItem")
        sent = [_ref(v.ItemId) for _, v in items_of(msg)]
        (moved,) = self.session.messages("DeleteItem", DeleteType="MoveToDeletedItems",
                                         ItemIds={"ItemId": [{"Id": proposal.id}]})
        check(moved, "DeleteItem")
        proposal.declined = True
        return sent

    @staticmethod
    def _why_closed(p: Proposal) -> str:
        if p.declined:
            return (f"{p.attendee.email}'s proposal for {p.subject!r} was already declined "
                    "(its MeetingResponse is in Deleted Items)")
        return _outdated(p) or (f"{p.attendee.email} has answered {p.subject!r} again since; "
                                "this proposal is superseded")


# --- helpers ------------------------------------------------------------------------


def _chunks(values: list, size: int) -> Iterator[list]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _ref(item_id: Any) -> ItemRef | None:
    if item_id is None:
        return None
    return ItemRef(item_id.Id, getattr(item_id, "ChangeKey", None))


def _person(recipient: Any) -> Person | None:
    mailbox = getattr(recipient, "Mailbox", None) if recipient is not None else None
    if mailbox is None or not mailbox.EmailAddress:
        return None
    return Person(mailbox.EmailAddress, mailbox.Name or "")


def _body(body: Any) -> str:
    if body is None:
        return ""
    return (getattr(body, "_value_1", body) or "").strip()


def _span(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "(unknown)"
    return f"{to_wire(start)} - {to_wire(end)}"


def _zoneless_utc(value: datetime) -> str:
    return to_wire(value)[:-1]


def _outdated(p: Proposal) -> str | None:
    if p.meeting_ref is None or p.meeting is None:
        return f"the meeting behind {p.subject!r} is gone"
    m = p.meeting
    if m.start != p.original_start or m.end != p.original_end:
        return (f"{p.subject!r} has moved to {_span(m.start, m.end)} since {p.attendee.email} "
                f"proposed against {_span(p.original_start, p.original_end)}")
    return None



def _records(meeting: Meeting, p: Proposal) -> bool:
    return any(a.person.email.lower() == p.attendee.email.lower()
               and (a.proposed_start, a.proposed_end) == (p.proposed_start, p.proposed_end)
               for a in meeting.attendees)
