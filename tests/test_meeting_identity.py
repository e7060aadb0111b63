"""Issue 14, item 2: a meeting's identity belongs to its organizer.

A client may choose a meeting's UID (calendar:UID on CreateItem). Another user who
reuses the UID of someone else's meeting makes a new meeting of their own: nothing they
send rewrites, takes over or cancels the first organizer's meeting, its attendees' and
its room's copies, and the room does not count the two as one booking.
"""

from __future__ import annotations

from .ews import Soap

ALEX, ADELE, MEGAN, ROOM = "AlexW@contoso.com", "AdeleV@contoso.com", "MeganB@contoso.com", "Rainier@contoso.com"
SLOT = ("2030-03-04T10:00:00Z", "2030-03-04T11:00:00Z")


def mailbox(soap: Soap, folder: str) -> list[dict]:
    answer = soap.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
        '<m:IndexedPageItemView MaxEntriesReturned="100" Offset="0" BasePoint="Beginning"/>'
        f'<m:ParentFolderIds><t:DistinguishedFolderId Id="{folder}"/></m:ParentFolderIds></m:FindItem>')
    assert answer.response_codes == ["NoError"], answer.content
    out = []
    for el in answer.xpath("//t:Items/*/t:ItemId"):
        got = soap.get(el.get("Id"), extra=("calendar:UID", "calendar:Organizer", "calendar:IsCancelled",
                                            "calendar:MyResponseType"))
        assert got.response_codes == ["NoError"], got.content

        def text(path, got=got):
            found = got.xpath(path)
            return found[0].text if found else None

        out.append({"id": el.get("Id"), "element": got.xpath("//m:Items/*")[0].tag.split("}")[1],
                    "subject": text("//m:Items/*/t:Subject"), "uid": text("//m:Items/*/t:UID"),
                    "organizer": text("//t:Organizer//t:EmailAddress"),
                    "cancelled": text("//t:IsCancelled"), "response": text("//t:MyResponseType")})
    return out


def create(soap: Soap, subject: str, uid: str | None, attendees, rooms=(), slot=SLOT) -> str:
    people = "".join(f"<t:Attendee><t:Mailbox><t:EmailAddress>{a}</t:EmailAddress></t:Mailbox></t:Attendee>"
                     for a in attendees)
    resources = "".join(f"<t:Attendee><t:Mailbox><t:EmailAddress>{a}</t:EmailAddress></t:Mailbox></t:Attendee>"
                        for a in rooms)
    answer = soap.call(
        '<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:Items><t:CalendarItem>'
        f"<t:Subject>{subject}</t:Subject>" + (f"<t:UID>{uid}</t:UID>" if uid else "")
        + f"<t:Start>{slot[0]}</t:Start><t:End>{slot[1]}</t:End>"
        + f"<t:RequiredAttendees>{people}</t:RequiredAttendees>"
        + (f"<t:Resources>{resources}</t:Resources>" if resources else "")
        + "</t:CalendarItem></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    return answer.first("//t:CalendarItem/t:ItemId").get("Id")


def test_another_users_meeting_with_the_same_uid_is_a_meeting_of_its_own(emulator):
    alex, adele, megan = (emulator.soap(who) for who in (ALEX, ADELE, MEGAN))
    room = Soap(emulator.endpoint, ROOM)
    budget_id = create(alex, "Budget", "shared-uid-0001", [ADELE], rooms=[ROOM])
    (budget,) = [i for i in mailbox(alex, "calendar") if i["id"] == budget_id]
    assert budget["uid"] == "shared-uid-0001"

    # Megan reuses the UID: the same time, the same attendee, Alex himself and the room.
    hijack_id = create(megan, "Hijacked", budget["uid"], [ADELE, ALEX], rooms=[ROOM])
    cancelled = megan.call(
        '<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations="SendToAllAndSaveCopy">'
        f'<m:ItemIds><t:ItemId Id="{hijack_id}"/></m:ItemIds></m:DeleteItem>')
    assert cancelled.response_codes == ["NoError"], cancelled.content

    # Alex's own meeting is untouched: his subject, his organizer, not cancelled.
    (mine,) = [i for i in mailbox(alex, "calendar") if i["id"] == budget_id]
    assert (mine["subject"], mine["organizer"], mine["cancelled"], mine["response"]) == (
        "Budget", ALEX, "false", "Organizer")
    # Adele's and the room's copies of Alex's meeting are Alex's still.
    for soap in (adele, room):
        copies = [i for i in mailbox(soap, "calendar") + mailbox(soap, "deleteditems")
                  if i["element"] == "CalendarItem" and i["organizer"] == ALEX]
        assert [(c["subject"], c["cancelled"]) for c in copies] == [("Budget", "false")], (soap.user, copies)
    # The room was booked by Alex's meeting: it declines Megan's, which overlaps it.
    answers = [i["subject"] for i in mailbox(megan, "inbox") if i["element"] == "MeetingResponse"]
    assert "Declined: Hijacked" in answers and "Accepted: Hijacked" not in answers, answers
    # Adele's request for Alex's meeting still answers Alex's meeting, and reaches him.
    (request,) = [i for i in mailbox(adele, "inbox")
                  if i["element"] == "MeetingRequest" and i["organizer"] == ALEX]
    accepted = adele.reply(request["id"], "AcceptItem")
    assert accepted.response_codes == ["NoError"], accepted.content
    responses = alex.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')
    subjects = [el.text for el in responses.xpath("//t:MeetingResponse/t:Subject")]
    assert "Accepted: Budget" in subjects, subjects
    entry = alex.get(budget_id).xpath("//t:RequiredAttendees/t:Attendee[t:Mailbox/t:EmailAddress='AdeleV@contoso.com']"
                                      "/t:ResponseType")
    assert [e.text for e in entry] == ["Accept"]


def test_an_attendee_reusing_the_uid_cannot_cancel_the_organizers_meeting(emulator):
    """Adele, invited to Alex's meeting, makes one of her own with its UID and cancels it:
    Alex's meeting and Megan's copy of it stay as they were."""
    alex, adele, megan = (emulator.soap(who) for who in (ALEX, ADELE, MEGAN))
    budget_id = create(alex, "Budget", None, [ADELE, MEGAN])
    uid = [i for i in mailbox(alex, "calendar") if i["id"] == budget_id][0]["uid"]
    own_id = create(adele, "Mine now", uid, [MEGAN, ALEX])
    cancelled = adele.call(
        '<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendOnlyToAll">'
        f'<m:ItemIds><t:ItemId Id="{own_id}"/></m:ItemIds></m:DeleteItem>')
    assert cancelled.response_codes == ["NoError"], cancelled.content
    megans = [i for i in mailbox(megan, "calendar") if i["organizer"] == ALEX]
    assert [(c["subject"], c["cancelled"]) for c in megans] == [("Budget", "false")]
    adeles = [i for i in mailbox(adele, "calendar") if i["organizer"] == ALEX]
    assert [(c["subject"], c["cancelled"]) for c in adeles] == [("Budget", "false")]
    (mine,) = [i for i in mailbox(alex, "calendar") if i["id"] == budget_id]
    assert (mine["subject"], mine["organizer"], mine["cancelled"]) == ("Budget", ALEX, "false")
