"""The calendar side of the client: a CalendarView's occurrences (to propose for one
occurrence of a recurring meeting) and meeting time suggestions (GetUserAvailability
with SuggestionsViewOptions). Mixed into ``EwsClient``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from .errors import EwsResponseError
from .models import Occurrence, Suggestion
from .session import NS, check, items_of
from .times import as_utc, require_aware, to_wire

T = f"{{{NS['t']}}}"
_OCCURRENCE_FIELDS = (
    "item:Subject", "item:ResponseObjects", "calendar:Organizer", "calendar:Start", "calendar:End",
    "calendar:Location", "calendar:AllowNewTimeProposal", "calendar:CalendarItemType", "calendar:RecurrenceId",
)
QUALITIES = ("Excellent", "Good", "Fair", "Poor")
MAX_WINDOW = timedelta(days=42)


class CalendarMixin:
    """Needs ``session``, ``batch_size``, ``_get_items`` and ``_offered_proposals`` (EwsClient)."""

    session: Any
    batch_size: int

    def occurrences(self, start: datetime, end: datetime) -> list[Occurrence]:
        """The meetings in this mailbox's calendar between ``start`` and ``end``, each
        occurrence of a series on its own (a CalendarView), with whether the server offers
        ProposeNewTime on it."""
        from .core import _person, _ref  # core imports this module

        require_aware(start, "start")
        require_aware(end, "end")
        (msg,) = self.session.messages(
            "FindItem", Traversal="Shallow", ItemShape={"BaseShape": "IdOnly"},
            CalendarView={"StartDate": to_wire(start), "EndDate": to_wire(end)},
            ParentFolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "calendar"}}]})
        check(msg, "FindItem")
        ids = [value.ItemId.Id for _, value in items_of(msg.RootFolder)]
        out: list[Occurrence] = []
        for i in range(0, len(ids), self.batch_size):
            rows = list(self._get_items(ids[i:i + self.batch_size], _OCCURRENCE_FIELDS))  # type: ignore[attr-defined]
            offered = self._offered_proposals()  # type: ignore[attr-defined]
            for _, name, item, error in rows:
                if error is not None or name != "CalendarItem":
                    continue
                out.append(Occurrence(
                    ref=_ref(item.ItemId), subject=item.Subject or "", organizer=_person(item.Organizer),
                    start=as_utc(item.Start), end=as_utc(item.End), location=item.Location,
                    allow_new_time_proposal=item.AllowNewTimeProposal,
                    calendar_item_type=item.CalendarItemType or "Single",
                    recurrence_id=as_utc(item.RecurrenceId),
                    offers_propose_new_time=item.ItemId.Id in offered))
        return out

    def suggest_times(self, attendees: list[str], start: datetime, end: datetime, duration: timedelta, *,
                      good_threshold: int = 25, max_per_day: int = 10, minimum_quality: str = "Fair",
                      max_non_work_per_day: int = 0) -> list[Suggestion]:
        """Meeting times for ``attendees`` (the organizer first: work time is theirs) of
        ``duration`` between ``start`` and ``end`` (at most 42 days), as the server rates
        them (GetUserAvailability's SuggestionsResponse), in time order. Outside work
        time only with ``max_non_work_per_day``."""
        require_aware(start, "start")
        require_aware(end, "end")
        minutes = int(duration.total_seconds() // 60)
        if not attendees:
            raise ValueError("name at least one attendee")
        if end <= start or end - start > MAX_WINDOW:
            raise ValueError("the window must end after it starts and be at most 42 days long")
        if not 30 <= minutes <= 1440:
            raise ValueError("the duration must be between 30 minutes and a day")
        if minimum_quality not in QUALITIES:
            raise ValueError(f"minimum_quality must be one of {', '.join(QUALITIES)}")

        def el(name: str, text: str | None = None, *children: etree._Element) -> etree._Element:
            made = etree.Element(T + name)
            made.text = text
            made.extend(children)
            return made

        # The window's zone-less times are read in the request's TimeZone: UTC, as for free/busy.
        window = el("DetailedSuggestionsWindow", None, el("StartTime", to_wire(start)[:-1]),
                    el("EndTime", to_wire(end)[:-1]))
        options = [el("GoodThreshold", str(good_threshold)), el("MaximumResultsByDay", str(max_per_day)),
                   el("MaximumNonWorkHourResultsByDay", str(max_non_work_per_day)), el("MeetingDurationInMinutes", str(minutes)),
                   el("MinimumSuggestionQuality", minimum_quality), window]
        no_transition = {"Bias": 0, "Time": "00:00:00", "DayOrder": 1, "Month": 1, "DayOfWeek": "Sunday"}
        self.session.call(
            "GetUserAvailability",
            TimeZone={"Bias": 0, "StandardTime": no_transition, "DaylightTime": no_transition},
            MailboxDataArray={"MailboxData": [
                {"Email": {"Address": a}, "AttendeeType": "Organizer" if i == 0 else "Required",
                 "ExcludeConflicts": False} for i, a in enumerate(attendees)]},
            SuggestionsViewOptions={"_value_1": options})
        envelope = self.session.capture.last
        holder = envelope.find(".//m:SuggestionsResponse", NS) if envelope is not None else None
        if holder is None:
            raise EwsResponseError("ErrorInvalidResponse", "the answer has no SuggestionsResponse",
                                   "GetUserAvailability")
        message = holder.find("m:ResponseMessage", NS)
        if message is not None and message.get("ResponseClass") == "Error":
            raise EwsResponseError(message.findtext("m:ResponseCode", "Error", NS),
                                   message.findtext("m:MessageText", "", NS), "GetUserAvailability")
        found = []
        for s in holder.iterfind(".//t:Suggestion", NS):
            at = _instant(s.findtext("t:MeetingTime", "", NS))
            conflicts = s.find("t:AttendeeConflictDataArray", NS)
            busy = 0 if conflicts is None else sum(
                1 for c in conflicts if c.findtext("t:BusyType", "Free", NS) != "Free")
            found.append(Suggestion(at, at + duration, s.findtext("t:SuggestionQuality", "", NS),
                                    s.findtext("t:IsWorkTime", "", NS) == "true", busy))
        return sorted(found, key=lambda s: s.start)


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    # a zone-less answer is in the request's zone, which was UTC
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
