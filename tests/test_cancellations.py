"""Cancellations on the wire: CancelCalendarItem with its NewBodyContent, on a meeting and
on one occurrence of a series, and the attendee's RemoveItem taking the cancelled meeting
off the calendar (and refusing anything that is not a cancellation)."""

from __future__ import annotations

from .test_mail_items import ADELE, subjects


def _cancel(soap, reference: str, text: str = "") -> list:
    body = f'<t:NewBodyContent BodyType="Text">{text}</t:NewBodyContent>' if text else ""
    answer = soap.call('<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem>'
                       f'<t:ReferenceItemId Id="{reference}"/>{body}</t:CancelCalendarItem></m:Items></m:CreateItem>')
    return answer


def _remove(soap, reference: str):
    return soap.call('<m:CreateItem><m:Items><t:RemoveItem>'
                     f'<t:ReferenceItemId Id="{reference}"/></t:RemoveItem></m:Items></m:CreateItem>')


def _inbox_ids(soap, element: str) -> list[str]:
    return [i for i, _ in soap.find_ids("inbox", element)]


def test_cancel_with_a_body_and_remove_from_the_calendar(alex, adele):
    meeting, _ = alex.create_meeting("Review", "2030-04-01T10:00:00Z", "2030-04-01T11:00:00Z")
    answer = _cancel(alex, meeting, "The review moves to next month.")
    assert answer.response_codes == ["NoError"], answer.content
    sent = answer.first("//t:MeetingCancellation/t:ItemId").get("Id")
    assert "The review moves to next month." in alex.get(sent).text("//t:MeetingCancellation/t:Body")
    assert subjects(adele, "calendar") == ["Canceled: Review"]
    (notice,) = _inbox_ids(adele, "MeetingCancellation")
    assert "The review moves to next month." in adele.get(notice).text("//t:MeetingCancellation/t:Body")
    removed = _remove(adele, notice)
    assert removed.response_codes == ["NoError"], removed.content
    assert removed.first("//t:MeetingCancellation/t:ItemId") is not None  # the notice, now in Deleted Items
    assert subjects(adele, "calendar") == []
    assert subjects(adele, "deleteditems") == ["Canceled: Review"]


def test_remove_item_refuses_what_is_not_a_cancellation(alex, adele):
    meeting, _ = alex.create_meeting("Planning", "2030-04-02T10:00:00Z", "2030-04-02T11:00:00Z")
    (request,) = _inbox_ids(adele, "MeetingRequest")
    assert _remove(adele, request).response_codes == ["ErrorInvalidItemForOperationRemoveItem"]
    assert _remove(alex, meeting).response_codes == ["ErrorInvalidItemForOperationRemoveItem"]
    assert subjects(adele, "calendar") == ["Planning"]


def test_cancel_one_occurrence_with_cancel_calendar_item(alex, adele):
    answer = alex.call(
        '<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:Items><t:CalendarItem>'
        "<t:Subject>Daily</t:Subject><t:Start>2030-06-03T07:00:00Z</t:Start><t:End>2030-06-03T07:15:00Z</t:End>"
        "<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>" + ADELE + "</t:EmailAddress></t:Mailbox>"
        "</t:Attendee></t:RequiredAttendees><t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval>"
        "</t:DailyRecurrence><t:NumberedRecurrence><t:StartDate>2030-06-03</t:StartDate>"
        "<t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>"
        "</t:CalendarItem></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    master = answer.first("//t:CalendarItem/t:ItemId").get("Id")
    occurrence = alex.call(
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
        f'<t:OccurrenceItemId RecurringMasterId="{master}" InstanceIndex="2"/></m:ItemIds></m:GetItem>'
    ).first("//t:CalendarItem/t:ItemId").get("Id")
    cancelled = _cancel(alex, occurrence, "Not on Tuesday.")
    assert cancelled.response_codes == ["NoError"], cancelled.content
    sent = cancelled.first("//t:MeetingCancellation/t:ItemId").get("Id")
    assert alex.get(sent, extra=("calendar:RecurrenceId",)).text("//t:RecurrenceId") == "2030-06-04T07:00:00Z"
    (notice,) = _inbox_ids(adele, "MeetingCancellation")
    assert _remove(adele, notice).response_codes == ["NoError"]
    view = adele.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
        '<t:FieldURI FieldURI="calendar:Start"/></t:AdditionalProperties></m:ItemShape>'
        '<m:CalendarView StartDate="2030-06-01T00:00:00Z" EndDate="2030-06-10T00:00:00Z"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
    assert [el.text for el in view.xpath("//t:CalendarItem/t:Start")] == ["2030-06-03T07:00:00Z",
                                                                         "2030-06-05T07:00:00Z"]
    again = _cancel(alex, occurrence)  # that occurrence is gone from the series
    assert again.response_codes == ["ErrorCalendarOccurrenceIsDeletedFromRecurrence"]
