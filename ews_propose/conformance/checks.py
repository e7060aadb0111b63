"""The named checks. Each cites the rule it checks and says whether that rule has a public
source or is a project decision (no public source: the README's "Assumed behaviours").

Checks talk to the server only through :class:`~ews_propose.conformance.run.Run`, i.e.
raw SOAP over HTTP(S), so they hold for any EWS endpoint. They adapt to the build the
server reports: below 15.00.0800.007 proposals must be refused, not offered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from lxml import etree

from .run import CheckFailed, Meeting, NotApplicable, Run, expect, iso, parse_time, reply_ids
from .wire import Answer

PUBLIC = "public"
PROJECT_DECISION = "project decision"
DOC_PROPOSE = "Exchange docs, 'Propose a new meeting time by using EWS in Exchange'"


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    rule: str
    basis: str
    run: Callable[[Run], str | None]


CHECKS: list[Check] = []


def check(id: str, title: str, rule: str, basis: str = PUBLIC) -> Callable:
    def register(fn: Callable[[Run], str | None]) -> Callable[[Run], str | None]:
        CHECKS.append(Check(id, title, rule, basis, fn))
        return fn
    return register


def needs_proposals(run: Run) -> None:
    if not run.info.has_proposals:
        raise NotApplicable(f"build {run.info.build} predates ProposeNewTime (15.00.0800.007)")


# --- shared setups (read-only checks reuse them) -----------------------------------------

def invitation(run: Run, allow: bool = True) -> tuple[Meeting, str]:
    """A meeting sent to the attendee, and the id of the request in the attendee's Inbox."""
    def make() -> tuple[Meeting, str]:
        meeting = run.create_meeting("invitation" if allow else "no proposals", allow_proposals=allow)
        request = run.wait_for(run.attendee, "inbox", meeting.subject, "MeetingRequest")
        return meeting, request.id
    return run.shared(f"invitation-{allow}", make)


@dataclass
class Proposal:
    meeting: Meeting
    request_id: str
    proposed: tuple[str, str]
    answer: Answer  # the CreateItem that carried the proposal


def proposal(run: Run) -> Proposal:
    """The attendee proposes the same hour a day later (TentativelyAcceptItem)."""
    def make() -> Proposal:
        needs_proposals(run)
        meeting = run.create_meeting("proposal")
        request = run.wait_for(run.attendee, "inbox", meeting.subject, "MeetingRequest")
        proposed = (iso(meeting.start + timedelta(days=1)), iso(meeting.end + timedelta(days=1)))
        answer = run.attendee.reply(request.id, "TentativelyAcceptItem", proposed, body="conformance: later?")
        return Proposal(meeting, request.id, proposed, answer)
    return run.shared("proposal", make)


def attendee_entry(run: Run, meeting_id: str) -> etree._Element | None:
    """The attendee's <t:Attendee> on the organizer's item (None if not listed)."""
    answer = run.organizer.get(meeting_id, "AllProperties", ("calendar:RequiredAttendees",))
    if answer.response_codes != ["NoError"]:
        raise CheckFailed(f"GetItem of the organizer's meeting: {answer.describe()}")
    for entry in answer.xpath("//t:RequiredAttendees/t:Attendee"):
        address = entry.xpath("string(t:Mailbox/t:EmailAddress)", namespaces=_NS)
        if address.lower() == run.target.attendee.lower():
            return entry
    return None


_NS = {"t": "http://schemas.microsoft.com/exchange/services/2006/types"}


def child_text(el: etree._Element, name: str) -> str | None:
    found = el.find(f"{{{_NS['t']}}}{name}")
    return found.text if found is not None else None


# --- ResponseObjects ---------------------------------------------------------------------

@check("offers-propose-new-time",
       "ResponseObjects offer ProposeNewTime to an invited attendee exactly when the build has it",
       "MS-OXOCAL / EWS ResponseObjects: ProposeNewTime from build 15.00.0800.007 "
       "(schema Exchange2013+) when the organizer allows proposals; Microsoft Learn 'Propose a new meeting time by using EWS in Exchange', its GetItem sample")
def offers_propose_new_time(run: Run) -> str:
    _, request_id = invitation(run)
    offered = run.response_objects(run.attendee, request_id)
    expect("AcceptItem" in offered, f"no AcceptItem in ResponseObjects: {offered}")
    if run.info.has_proposals:
        expect("ProposeNewTime" in offered, f"build {run.info.build} should offer ProposeNewTime: {offered}")
    else:
        expect("ProposeNewTime" not in offered, f"build {run.info.build} must not offer ProposeNewTime: {offered}")
    return " ".join(offered)


@check("no-propose-when-disallowed",
       "No ProposeNewTime when the organizer set AllowNewTimeProposal=false",
       "MS-OXOCAL: not offered when PidLidAppointmentNotAllowPropose is set (AllowNewTimeProposal "
       "false); [MS-OXOCAL] 3.1.4.8.4.1")
def no_propose_when_disallowed(run: Run) -> str:
    _, request_id = invitation(run, allow=False)
    offered = run.response_objects(run.attendee, request_id)
    expect("AcceptItem" in offered, f"no AcceptItem in ResponseObjects: {offered}")
    expect("ProposeNewTime" not in offered, f"ProposeNewTime offered although disallowed: {offered}")
    return " ".join(offered)


@check("no-propose-for-organizer",
       "The organizer's own meeting never offers ProposeNewTime (nor Accept)",
       "MS-OXOCAL: never offered to the organizer; EWS ResponseObjects of an organizer's meeting are "
       "CancelCalendarItem, ForwardItem; [MS-OXOCAL] 3.1.4.8.4.1")
def no_propose_for_organizer(run: Run) -> str:
    meeting, _ = invitation(run)
    offered = run.response_objects(run.organizer, meeting.id)
    expect("ProposeNewTime" not in offered, f"ProposeNewTime offered to the organizer: {offered}")
    expect("AcceptItem" not in offered, f"AcceptItem offered to the organizer: {offered}")
    return " ".join(offered)


@check("no-propose-on-series",
       "A recurring series (its request) offers no ProposeNewTime; one of its occurrences does",
       "[MS-OXOCAL] 3.1.4.8.4.1: a new time is proposed for one instance of a recurring meeting, "
       "not for the whole series")
def no_propose_on_series(run: Run) -> str:
    subject = run.subject("series")
    start, end = run.slot()
    answer = run.organizer.call(
        '<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:Items><t:CalendarItem>'
        f"<t:Subject>{subject}</t:Subject><t:Start>{iso(start)}</t:Start><t:End>{iso(end)}</t:End>"
        f"<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>{run.target.attendee}</t:EmailAddress>"
        "</t:Mailbox></t:Attendee></t:RequiredAttendees><t:Recurrence><t:DailyRecurrence><t:Interval>1"
        f"</t:Interval></t:DailyRecurrence><t:NumberedRecurrence><t:StartDate>{start.date().isoformat()}"
        "</t:StartDate><t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>"
        "</t:CalendarItem></m:Items></m:CreateItem>")
    expect(answer.response_codes == ["NoError"], f"CreateItem of a daily series: {answer.describe()}")
    request = run.wait_for(run.attendee, "inbox", subject, "MeetingRequest")
    on_series = run.response_objects(run.attendee, request.id)
    expect("AcceptItem" in on_series, f"no AcceptItem on the series' request: {on_series}")
    expect("ProposeNewTime" not in on_series, f"ProposeNewTime offered for the whole series: {on_series}")
    series = run.wait_for(run.attendee, "calendar", subject, "CalendarItem")
    got = run.attendee.call(
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"
        '<t:FieldURI FieldURI="item:ResponseObjects"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>'
        f'<t:OccurrenceItemId RecurringMasterId="{series.id}" InstanceIndex="2"/></m:ItemIds></m:GetItem>')
    expect(got.response_codes == ["NoError"], f"GetItem of the second occurrence: {got.describe()}")
    on_occurrence = [etree.QName(el).localname for el in got.xpath("//t:ResponseObjects/*")]
    if run.info.has_proposals:
        expect("ProposeNewTime" in on_occurrence,
               f"build {run.info.build} should offer ProposeNewTime on an occurrence: {on_occurrence}")
    return f"series: {' '.join(on_series)}; occurrence: {' '.join(on_occurrence)}"


# --- the proposal --------------------------------------------------------------------------

@check("proposal-returns-ids",
       "CreateItem with a proposal answers the attendee's calendar item id and the request id",
       f"{DOC_PROPOSE}: the response holds the CalendarItem and MeetingRequest ItemIds")
def proposal_returns_ids(run: Run) -> str:
    p = proposal(run)
    answer = p.answer
    expect(answer.response_codes == ["NoError"], f"TentativelyAcceptItem with ProposedStart/End: {answer.describe()}")
    ids = reply_ids(answer)
    kinds = [k for k, _ in ids]
    expect("CalendarItem" in kinds, f"no t:CalendarItem id in the answer: {kinds}")
    expect(("MeetingRequest", p.request_id) in ids, f"the request's id is not in the answer: {ids}")
    return ", ".join(kinds)


@check("proposal-placement",
       "After proposing: request in Deleted Items, 'New Time Proposed:' response in Sent Items",
       f"{DOC_PROPOSE}; MS-OXWSMTGS: the meeting request moves to Deleted Items, the sent response "
       "is saved to Sent Items (SendAndSaveCopy)")
def proposal_placement(run: Run) -> str:
    p = proposal(run)
    expect(p.answer.response_codes == ["NoError"], f"the proposal failed: {p.answer.describe()}")
    deleted = run.eventually(
        lambda: [i for i in run.find(run.attendee, "deleteditems", p.meeting.subject) if i.id == p.request_id],
        "the meeting request in the attendee's Deleted Items")
    sent = run.wait_for(run.attendee, "sentitems", p.meeting.subject, "MeetingResponse")
    expect(sent.subject.startswith("New Time Proposed: "), f"Sent Items subject is {sent.subject!r}")
    left = run.find(run.attendee, "inbox", p.meeting.subject, "MeetingRequest")
    expect(not left, "the request is still in the attendee's Inbox")
    return f"deleteditems {deleted[0].kind}; sentitems {sent.subject!r}"


@check("organizer-gets-proposal",
       "The organizer's MeetingResponse carries ProposedStart/ProposedEnd and AssociatedCalendarItemId",
       f"{DOC_PROPOSE} (organizer side, steps 1-2); MeetingResponseMessageType ProposedStart/ProposedEnd; "
       "MeetingMessageType AssociatedCalendarItemId")
def organizer_gets_proposal(run: Run) -> str:
    p = proposal(run)
    expect(p.answer.response_codes == ["NoError"], f"the proposal failed: {p.answer.describe()}")
    found = run.wait_for(run.organizer, "inbox", p.meeting.subject, "MeetingResponse")
    answer = run.organizer.get(found.id, "AllProperties",
                               ("meeting:AssociatedCalendarItemId", "meetingResponse:ProposedStart",
                                "meetingResponse:ProposedEnd"))
    r = "//m:Items/t:MeetingResponse/"
    expect(answer.response_codes == ["NoError"], f"GetItem of the MeetingResponse: {answer.describe()}")
    expect(answer.text(r + "t:Subject").startswith("New Time Proposed: "),
           f"subject {answer.text(r + 't:Subject')!r}")
    expect(answer.text(r + "t:ItemClass") == "IPM.Schedule.Meeting.Resp.Tent",
           f"ItemClass {answer.text(r + 't:ItemClass')!r}")
    for name, want in (("ProposedStart", p.proposed[0]), ("ProposedEnd", p.proposed[1])):
        got = answer.xpath(f"string({r}t:{name})")
        expect(bool(got), f"no {name} on the MeetingResponse")
        expect(parse_time(got) == parse_time(want), f"{name} {got}, expected {want}")
    associated = answer.xpath(r + "t:AssociatedCalendarItemId")
    expect(bool(associated), "no AssociatedCalendarItemId on the MeetingResponse")
    associated_id = associated[0].get("Id")
    if associated_id != p.meeting.id:
        # A server may spell the same item's id differently: it must resolve to the meeting.
        same = run.organizer.get(associated_id, "IdOnly", ("item:Subject",))
        expect(same.response_codes == ["NoError"] and same.text("//t:Subject") == p.meeting.subject,
               f"AssociatedCalendarItemId does not lead to the organizer's meeting: {same.describe()}")
    return f"proposed {p.proposed[0]}..{p.proposed[1]}"


@check("attendee-entry-shows-proposal",
       "The organizer's meeting lists the attendee as Tentative with the proposed times",
       "AttendeeType ResponseType, LastResponseTime, ProposedStart, ProposedEnd (types.xsd, Exchange2013 SP1 "
       "docs); types.xsd AttendeeType")
def attendee_entry_shows_proposal(run: Run) -> str:
    p = proposal(run)
    expect(p.answer.response_codes == ["NoError"], f"the proposal failed: {p.answer.describe()}")
    entry = run.eventually(
        lambda: (e if (e := attendee_entry(run, p.meeting.id)) is not None
                 and child_text(e, "ResponseType") == "Tentative" else None),
        "ResponseType Tentative for the attendee on the organizer's meeting")
    for name, want in (("ProposedStart", p.proposed[0]), ("ProposedEnd", p.proposed[1])):
        got = child_text(entry, name)
        expect(got is not None, f"no {name} on the attendee's entry")
        expect(parse_time(got) == parse_time(want), f"{name} {got}, expected {want}")
    expect(child_text(entry, "LastResponseTime") is not None, "no LastResponseTime on the attendee's entry")
    return f"Tentative, proposed {p.proposed[0]}"


@check("move-resets-responses",
       "Moving the meeting resets the attendee's response and proposal and sends a FullUpdate",
       "Exchange docs (organizer accepts a proposal: UpdateItem Start/End, SendToAllAndSaveCopy); "
       "MeetingRequestType FullUpdate; responses reset (Graph: notResponded); Microsoft Learn 'Propose a new meeting time by using EWS in Exchange', step 5")
def move_resets_responses(run: Run) -> str:
    meeting = run.create_meeting("move")
    request = run.wait_for(run.attendee, "inbox", meeting.subject, "MeetingRequest")
    later = (meeting.start + timedelta(days=1), meeting.end + timedelta(days=1))
    proposed = (iso(later[0]), iso(later[1])) if run.info.has_proposals else None
    answered = run.attendee.reply(request.id, "TentativelyAcceptItem", proposed)
    expect(answered.response_codes == ["NoError"], f"the attendee's answer: {answered.describe()}")
    run.eventually(lambda: (e := attendee_entry(run, meeting.id)) is not None
                   and child_text(e, "ResponseType") == "Tentative",
                   "the attendee's Tentative on the organizer's meeting")

    current = run.organizer.get(meeting.id, "IdOnly").first("//t:ItemId").get("ChangeKey")
    moved = run.organizer.update_times(meeting.id, current, iso(later[0]), iso(later[1]))
    expect(moved.response_codes == ["NoError"], f"UpdateItem Start/End: {moved.describe()}")
    entry = attendee_entry(run, meeting.id)
    expect(entry is not None, "the attendee vanished from the organizer's meeting")
    response = child_text(entry, "ResponseType")
    # Public: the answer is reset (Graph shows notResponded). Which of the two "no answer"
    # values EWS shows is a project decision (README), so either counts as reset here.
    expect(response in ("NoResponseReceived", "Unknown"), f"attendee's ResponseType after the move is {response}")
    expect(child_text(entry, "ProposedStart") is None, "the proposal survived the move")

    def update_arrived():
        for item in run.find(run.attendee, "inbox", meeting.subject, "MeetingRequest"):
            got = run.attendee.get(item.id)
            if got.xpath("string(//t:MeetingRequest/t:MeetingRequestType)") == "FullUpdate":
                return got
        return None
    update = run.eventually(update_arrived, "a FullUpdate MeetingRequest in the attendee's Inbox")
    start = parse_time(update.text("//t:MeetingRequest/t:Start"))
    expect(start == later[0], f"the update's Start is {start}, expected {iso(later[0])}")
    return f"{response}; FullUpdate at the new time"


# --- errors ----------------------------------------------------------------------------------

@check("error-missing-reference-item-id",
       "A reply without ReferenceItemId: ErrorMissingInformationReferenceItemId",
       "ResponseCodeType ErrorMissingInformationReferenceItemId (EWS error codes reference)")
def error_missing_reference(run: Run) -> str:
    answer = run.attendee.reply(None, "AcceptItem")
    expect(answer.response_codes == ["ErrorMissingInformationReferenceItemId"], answer.describe())
    return answer.response_codes[0]


@check("error-malformed-reference-item-id",
       "A reply whose ReferenceItemId is not an id: ErrorInvalidIdMalformed",
       "ResponseCodeType ErrorInvalidIdMalformed (EWS error codes reference)")
def error_malformed_reference(run: Run) -> str:
    answer = run.attendee.reply("not-an-item-id", "AcceptItem")
    expect(answer.response_codes == ["ErrorInvalidIdMalformed"], answer.describe())
    return answer.response_codes[0]


@check("error-organizer-replies",
       "The organizer accepting their own meeting: ErrorCalendarIsOrganizerForAccept",
       "ResponseCodeType ErrorCalendarIsOrganizerForAccept (EWS error codes reference)")
def error_organizer_replies(run: Run) -> str:
    meeting, _ = invitation(run)
    answer = run.organizer.reply(meeting.id, "AcceptItem")
    expect(answer.response_codes == ["ErrorCalendarIsOrganizerForAccept"], answer.describe())
    return answer.response_codes[0]


@check("error-proposal-disallowed",
       "A proposal on a meeting that disallows proposals: ErrorInvalidOperation naming AllowNewTimeProposal",
       "Project decision (no public source): README 'Assumed behaviours'",
       PROJECT_DECISION)
def error_proposal_disallowed(run: Run) -> str:
    needs_proposals(run)
    meeting, request_id = invitation(run, allow=False)
    later = (iso(meeting.start + timedelta(days=1)), iso(meeting.end + timedelta(days=1)))
    answer = run.attendee.reply(request_id, "TentativelyAcceptItem", later)
    expect(answer.response_codes == ["ErrorInvalidOperation"], answer.describe())
    expect("AllowNewTimeProposal" in " ".join(answer.message_texts),
           f"MessageText does not name AllowNewTimeProposal: {answer.message_texts}")
    return answer.response_codes[0]


@check("error-stale-change-key",
       "UpdateItem with a stale ChangeKey (NeverOverwrite): ErrorIrresolvableConflict",
       "ResponseCodeType ErrorIrresolvableConflict; ConflictResolution NeverOverwrite (UpdateItem docs)")
def error_stale_change_key(run: Run) -> str:
    meeting = run.create_meeting("change key", invite=False)
    first = run.organizer.update_location(meeting.id, meeting.change_key, "Room A")
    expect(first.response_codes == ["NoError"], f"first UpdateItem: {first.describe()}")
    new_key = first.first("//t:ItemId").get("ChangeKey")
    expect(new_key != meeting.change_key, "the ChangeKey did not change on write")
    stale = run.organizer.update_location(meeting.id, meeting.change_key, "Room B")
    expect(stale.response_codes == ["ErrorIrresolvableConflict"], stale.describe())
    location = run.organizer.get(meeting.id).xpath("string(//t:CalendarItem/t:Location)")
    expect(location == "Room A", f"the refused write changed Location to {location!r}")
    return stale.response_codes[0]


# --- version gating ----------------------------------------------------------------------------

@check("gating-old-build",
       "A server reporting a build before 15.00.0800.007 neither offers nor accepts proposals",
       "Feature introduced in build 15.00.0800.007 (Microsoft Learn 'Propose a new meeting time by using EWS in Exchange': 'requires Exchange build 15.00.0800.007 or later'): an older server must not "
       "offer ProposeNewTime nor accept ProposedStart/ProposedEnd")
def gating_old_build(run: Run) -> str:
    if run.info.has_proposals:
        raise NotApplicable(f"build {run.info.build} has the feature")
    meeting = run.create_meeting("old build")
    request = run.wait_for(run.attendee, "inbox", meeting.subject, "MeetingRequest")
    # Every breach is reported, not only the first: they point at different server bugs.
    problems = []
    if "ProposeNewTime" in run.response_objects(run.attendee, request.id):
        problems.append(f"ProposeNewTime offered by build {run.info.build}")
    later = (iso(meeting.start + timedelta(days=1)), iso(meeting.end + timedelta(days=1)))
    answer = run.attendee.reply(request.id, "TentativelyAcceptItem", later)
    refused = answer.fault_code is not None or (answer.response_codes and answer.response_codes != ["NoError"])
    if not refused:
        problems.append(f"build {run.info.build} accepted a proposal: {answer.describe()}")
    if run.find(run.organizer, "inbox", meeting.subject, "MeetingResponse"):
        problems.append("the proposal reached the organizer")
    expect(not problems, "; ".join(problems))
    return f"refused: {answer.describe()}"


@check("gating-old-schema",
       "Under RequestServerVersion Exchange2010_SP2: no ProposeNewTime; Proposed* refused "
       "with ErrorIncorrectSchemaVersion",
       "Project decision (docs list the feature under Exchange2013_SP1, Microsoft's sample and exchangelib "
       "use Exchange2013): README 'Assumed behaviours'",
       PROJECT_DECISION)
def gating_old_schema(run: Run) -> str:
    needs_proposals(run)
    meeting = run.create_meeting("old schema")
    request = run.wait_for(run.attendee, "inbox", meeting.subject, "MeetingRequest")
    offered = run.response_objects(run.attendee, request.id, version="Exchange2010_SP2")
    expect("AcceptItem" in offered and "ProposeNewTime" not in offered,
           f"ResponseObjects under Exchange2010_SP2: {offered}")
    later = (iso(meeting.start + timedelta(days=1)), iso(meeting.end + timedelta(days=1)))
    answer = run.attendee.reply(request.id, "TentativelyAcceptItem", later, version="Exchange2010_SP2")
    expect(answer.fault_code == "ErrorIncorrectSchemaVersion", answer.describe())
    return answer.fault_code or ""


def by_id(ids: list[str]) -> list[Check]:
    known = {c.id: c for c in CHECKS}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [known[i] for i in ids]
