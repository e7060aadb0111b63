"""The workflow as raw SOAP: what each mailbox sees on the wire at every step."""

from __future__ import annotations

LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
NEXT_DAY = ("2026-12-02T12:00:00Z", "2026-12-02T13:00:00Z")
ATTENDEE_OBJECTS = ["AcceptItem", "TentativelyAcceptItem", "DeclineItem", "ProposeNewTime",
                    "ReplyToItem", "ReplyAllToItem", "ForwardItem"]


def response_objects(answer) -> list[str]:
    return [el.tag.split("}")[1] for el in answer.xpath("//t:ResponseObjects/*")]


def the_request(soap) -> str:
    ((request_id, _),) = soap.find_ids("inbox", "MeetingRequest")
    return request_id


def test_response_objects_offer_propose_new_time_to_attendees_only(alex, adele):
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    request_id = the_request(adele)

    # The GetItem of Exchange's documentation: IdOnly plus four properties.
    answer = adele.get(request_id, "IdOnly",
                       ("item:ResponseObjects", "item:Subject", "calendar:Start", "calendar:End"))
    assert answer.status == 200
    item = answer.first("//m:Items/t:MeetingRequest")
    assert [c.tag.split("}")[1] for c in item] == ["ItemId", "Subject", "ResponseObjects", "Start", "End"]
    assert response_objects(answer) == ATTENDEE_OBJECTS
    assert answer.text("//t:Start") == LUNCH[0]

    ((calendar_id, _),) = adele.find_ids("calendar", "CalendarItem")
    assert response_objects(adele.get(calendar_id, "IdOnly", ("item:ResponseObjects",))) == ATTENDEE_OBJECTS
    assert response_objects(alex.get(meeting_id, "IdOnly", ("item:ResponseObjects",))) == [
        "CancelCalendarItem", "ForwardItem"]


def test_no_propose_new_time_when_the_organizer_disallows_it(alex, adele):
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH, allow_proposals=False)
    request_id = the_request(adele)
    answer = adele.get(request_id, "AllProperties", ("item:ResponseObjects",))
    assert "ProposeNewTime" not in response_objects(answer)
    assert answer.text("//t:MeetingRequest/t:AllowNewTimeProposal") == "false"


def test_accept_with_proposal_as_in_the_documentation(alex, adele):
    alex.create_meeting("Competitive analysis: kick off meeting", *LUNCH)
    request_id = the_request(adele)
    ((calendar_id, _),) = adele.find_ids("calendar", "CalendarItem")

    # Microsoft's sample AcceptItem omits MessageDisposition.
    answer = adele.reply(request_id, "AcceptItem", NEXT_DAY, body="This time works better.", disposition=None)
    assert answer.response_codes == ["NoError"]
    ids = answer.xpath("//m:Items/*")
    assert [el.tag.split("}")[1] for el in ids] == ["CalendarItem", "MeetingRequest"]
    assert ids[0].find("{*}ItemId").get("Id") == calendar_id
    assert ids[1].find("{*}ItemId").get("Id") == request_id

    # Placement: request in Deleted Items, response copy in Sent Items, her item accepted.
    assert adele.find_ids("inbox") == []
    assert [i for i, _ in adele.find_ids("deleteditems")] == [request_id]
    ((sent_id, _),) = adele.find_ids("sentitems", "MeetingResponse")
    assert adele.get(sent_id).text("//t:Subject") == "New Time Proposed: Competitive analysis: kick off meeting"
    mine = adele.get(calendar_id)
    assert mine.text("//t:MyResponseType") == "Accept"
    assert mine.text("//t:LegacyFreeBusyStatus") == "Busy"


def test_organizer_receives_the_proposal(alex, adele):
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    adele.reply(the_request(adele), "TentativelyAcceptItem", NEXT_DAY, body="Tomorrow?")

    ((response_id, _),) = alex.find_ids("inbox", "MeetingResponse")
    answer = alex.get(response_id)
    r = "//m:Items/t:MeetingResponse/"
    assert answer.text(r + "t:ItemClass") == "IPM.Schedule.Meeting.Resp.Tent"
    assert answer.text(r + "t:Subject") == "New Time Proposed: Lunch"
    assert answer.text(r + "t:ResponseType") == "Tentative"
    assert answer.first(r + "t:AssociatedCalendarItemId").get("Id") == meeting_id
    assert (answer.text(r + "t:Start"), answer.text(r + "t:End")) == LUNCH
    assert (answer.text(r + "t:ProposedStart"), answer.text(r + "t:ProposedEnd")) == NEXT_DAY
    assert answer.text(r + "t:From/t:Mailbox/t:EmailAddress") == "AdeleV@contoso.com"
    assert answer.text(r + "t:Body") == "Tomorrow?"

    meeting = alex.get(meeting_id)
    a = "//t:RequiredAttendees/t:Attendee/"
    assert answer.status == 200
    assert meeting.text(a + "t:ResponseType") == "Tentative"
    assert (meeting.text(a + "t:ProposedStart"), meeting.text(a + "t:ProposedEnd")) == NEXT_DAY
    assert meeting.xpath(a + "t:LastResponseTime")


def test_moving_the_meeting_resets_responses_and_updates_attendees(alex, adele):
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    adele.reply(the_request(adele), "TentativelyAcceptItem", NEXT_DAY)
    change_key = alex.get(meeting_id, "IdOnly").first("//t:ItemId").get("ChangeKey")

    moved = alex.move(meeting_id, change_key, *NEXT_DAY)
    assert moved.response_codes == ["NoError"]
    assert moved.first("//t:ItemId").get("ChangeKey") != change_key

    meeting = alex.get(meeting_id)
    assert (meeting.text("//t:Start"), meeting.text("//t:End")) == NEXT_DAY
    assert meeting.text("//t:Attendee/t:ResponseType") == "NoResponseReceived"
    assert not meeting.xpath("//t:Attendee/t:ProposedStart")
    assert meeting.text("//t:AppointmentSequenceNumber") == "1"

    update = adele.get(the_request(adele))
    assert update.text("//t:MeetingRequestType") == "FullUpdate"
    assert (update.text("//t:MeetingRequest/t:Start"), update.text("//t:MeetingRequest/t:End")) == NEXT_DAY
    ((calendar_id, _),) = adele.find_ids("calendar", "CalendarItem")
    assert adele.get(calendar_id).text("//t:MyResponseType") == "NoResponseReceived"
    # The organizer kept a copy of each request he sent.
    assert len(alex.find_ids("sentitems", "MeetingRequest")) == 2


def test_rooms_accept_when_free_and_decline_when_booked(alex, emulator):
    megan = emulator.soap("MeganB@contoso.com")
    first_id, _ = alex.create_meeting("Lunch", *LUNCH, rooms=("Rainier@contoso.com",))
    second_id, _ = megan.create_meeting("Standup", *LUNCH, attendees=(), rooms=("Rainier@contoso.com",))

    ((accepted_id, _),) = alex.find_ids("inbox", "MeetingResponse")
    accepted = alex.get(accepted_id)
    assert accepted.text("//t:Subject") == "Accepted: Lunch"
    assert accepted.text("//t:From/t:Mailbox/t:EmailAddress") == "Rainier@contoso.com"
    assert alex.get(first_id).text("//t:Resources/t:Attendee/t:ResponseType") == "Accept"

    ((declined_id, _),) = megan.find_ids("inbox", "MeetingResponse")
    assert megan.get(declined_id).text("//t:Subject") == "Declined: Standup"
    assert megan.get(second_id).text("//t:Resources/t:Attendee/t:ResponseType") == "Decline"

    room = emulator.soap("Rainier@contoso.com")
    booked = room.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        f'<m:CalendarView StartDate="{LUNCH[0]}" EndDate="{LUNCH[1]}"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
    assert [s.text for s in booked.xpath("//t:CalendarItem/t:Subject")] == ["Lunch"]


def test_cancelling_a_meeting_tells_attendees(alex, adele):
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    answer = alex.call(
        '<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations="SendToAllAndSaveCopy">'
        f'<m:ItemIds><t:ItemId Id="{meeting_id}"/></m:ItemIds></m:DeleteItem>')
    assert answer.response_codes == ["NoError"]
    ((notice_id, _),) = adele.find_ids("inbox", "MeetingCancellation")
    notice = adele.get(notice_id, "AllProperties", ("item:ResponseObjects",))
    assert notice.text("//t:Subject") == "Canceled: Lunch"
    assert notice.text("//t:ItemClass") == "IPM.Schedule.Meeting.Canceled"
    assert response_objects(notice) == ["RemoveItem"]
    ((calendar_id, _),) = adele.find_ids("calendar", "CalendarItem")
    assert adele.get(calendar_id).text("//t:IsCancelled") == "true"


def test_plain_message_is_delivered_to_local_recipients(alex, adele):
    answer = alex.call(
        '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:Message>'
        "<t:Subject>Hello</t:Subject><t:Body BodyType=\"Text\">Hi Adele</t:Body>"
        "<t:ToRecipients><t:Mailbox><t:EmailAddress>AdeleV@contoso.com</t:EmailAddress></t:Mailbox>"
        "</t:ToRecipients></t:Message></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"]
    assert answer.xpath("//m:Items/*") == []  # sending returns no id
    ((message_id, _),) = adele.find_ids("inbox", "Message")
    got = adele.get(message_id)
    assert got.text("//t:Subject") == "Hello"
    assert got.text("//t:IsRead") == "false"
    assert len(alex.find_ids("sentitems", "Message")) == 1


def test_paging_through_a_folder(alex, adele):
    for n in range(5):
        alex.create_meeting(f"Meeting {n}", *LUNCH)
    page = adele.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
        '<m:IndexedPageItemView MaxEntriesReturned="2" Offset="2" BasePoint="Beginning"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')
    root = page.first("//m:RootFolder")
    assert root.get("TotalItemsInView") == "5"
    assert root.get("IndexedPagingOffset") == "4"
    assert root.get("IncludesLastItemInRange") == "false"
    assert len(page.xpath("//t:Items/t:MeetingRequest")) == 2


def test_message_properties_follow_their_item_type(alex, adele):
    alex.create_meeting("Lunch", *LUNCH)
    request = adele.get(the_request(adele), "IdOnly", ("message:IsResponseRequested", "item:ReminderIsSet"))
    assert request.text("//t:MeetingRequest/t:IsResponseRequested") == "true"
    assert request.text("//t:MeetingRequest/t:ReminderIsSet") == "true"
    adele.reply(the_request(adele), "AcceptItem")
    ((response_id, _),) = alex.find_ids("inbox", "MeetingResponse")
    response = alex.get(response_id)
    assert response.xpath("//t:MeetingResponse/t:IsResponseRequested") == []
    assert response.text("//t:MeetingResponse/t:ReminderIsSet") == "false"
    assert response.text("//t:MeetingResponse/t:ReminderMinutesBeforeStart") == "0"


def test_recipients_given_by_address_get_display_names(alex, adele):
    alex.call('<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:Message><t:Subject>Hi</t:Subject>'
              "<t:ToRecipients><t:Mailbox><t:EmailAddress>adelev@contoso.com</t:EmailAddress></t:Mailbox>"
              "</t:ToRecipients></t:Message></m:Items></m:CreateItem>")
    ((message_id, _),) = adele.find_ids("inbox")
    got = adele.get(message_id)
    assert got.text("//t:ToRecipients/t:Mailbox/t:Name") == "Adele Vance"
    assert got.text("//t:DisplayTo") == "Adele Vance"
    assert got.text("//t:From/t:Mailbox/t:Name") == "Alex Wilber"


def test_the_organizers_copy_of_a_cancellation_offers_no_remove(alex, adele):
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    alex.call('<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToAllAndSaveCopy">'
              f'<m:ItemIds><t:ItemId Id="{meeting_id}"/></m:ItemIds></m:DeleteItem>')
    ((sent_id, _),) = alex.find_ids("sentitems", "MeetingCancellation")
    assert response_objects(alex.get(sent_id, "IdOnly", ("item:ResponseObjects",))) == ["ForwardItem"]


def test_folder_counts_follow_reading(alex, adele):
    def inbox_counts():
        answer = adele.call('<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
                            '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
        return answer.text("//t:TotalCount"), answer.text("//t:UnreadCount")

    for n in range(3):
        alex.create_meeting(f"Meeting {n}", *LUNCH)
    assert inbox_counts() == ("3", "3")
    (first_id, change_key), *_ = adele.find_ids("inbox")
    read = adele.call(
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges>'
        f'<t:ItemChange><t:ItemId Id="{first_id}" ChangeKey="{change_key}"/><t:Updates><t:SetItemField>'
        '<t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>true</t:IsRead></t:Message>'
        "</t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>")
    assert read.response_codes == ["NoError"]
    assert inbox_counts() == ("3", "2")


def test_moving_a_meeting_without_the_send_attribute_is_refused_and_changes_nothing(alex, adele):
    # The check reads the item in the update's own transaction: refused there, nothing is
    # written and nothing sent; a missing item is still ErrorItemNotFound first.
    meeting_id, change_key = alex.create_meeting("Lunch", *LUNCH)
    body = (f'<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges><t:ItemChange>'
            f'<t:ItemId Id="{meeting_id}" ChangeKey="{change_key}"/><t:Updates>'
            f'<t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>{NEXT_DAY[0]}'
            f"</t:Start></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>")
    answer = alex.call(body)
    assert answer.response_codes == ["ErrorSendMeetingInvitationsOrCancellationsRequired"]
    after = alex.get(meeting_id)
    assert after.text("//t:Start") == LUNCH[0]
    assert after.first("//t:ItemId").get("ChangeKey") == change_key
    assert len(adele.find_ids("inbox", "MeetingRequest")) == 1
    missing = body.replace(meeting_id, meeting_id[:-4] + ("AAAA" if not meeting_id.endswith("AAAA") else "BBBB"))
    assert alex.call(missing).response_codes == ["ErrorItemNotFound"]
