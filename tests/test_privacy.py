"""Issue 14, item 4: a meeting's Sensitivity travels with every copy of it (attendees'
and rooms' calendar items, requests, updates), and anyone's Detailed free/busy shows a
private meeting's time only, whichever copy it reads: the organizer's, an attendee's or
the room's."""

from __future__ import annotations

import pytest

from .ews import Soap
from .test_availability import availability

ALEX, ADELE, MEGAN, ROOM = "AlexW@contoso.com", "AdeleV@contoso.com", "MeganB@contoso.com", "Rainier@contoso.com"
SLOT = ("2030-06-03T10:00:00Z", "2030-06-03T11:00:00Z")
WINDOW = ("2030-06-03T08:00:00Z", "2030-06-03T14:00:00Z")


def create(alex: Soap, sensitivity: str) -> tuple[str, str]:
    answer = alex.call(
        '<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:Items><t:CalendarItem>'
        f"<t:Subject>Layoffs</t:Subject><t:Sensitivity>{sensitivity}</t:Sensitivity>"
        f"<t:Start>{SLOT[0]}</t:Start><t:End>{SLOT[1]}</t:End><t:Location>Board room</t:Location>"
        f"<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>{ADELE}</t:EmailAddress></t:Mailbox>"
        "</t:Attendee></t:RequiredAttendees>"
        f"<t:Resources><t:Attendee><t:Mailbox><t:EmailAddress>{ROOM}</t:EmailAddress></t:Mailbox>"
        "</t:Attendee></t:Resources></t:CalendarItem></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    el = answer.first("//t:CalendarItem/t:ItemId")
    return el.get("Id"), el.get("ChangeKey")


def sensitivities(soap: Soap, folder: str) -> list[str]:
    return [soap.get(item_id).first("//m:Items/*/t:Sensitivity").text for item_id, _ in soap.find_ids(folder)]


def details_seen_by_megan(megan: Soap) -> list[tuple]:
    answer = availability(megan, [ALEX, ADELE, ROOM], *WINDOW, view="Detailed")
    assert answer.response_codes == ["NoError"] * 3, answer.content
    out = []
    for event in answer.xpath("//t:CalendarEvent"):
        details = event.find("t:CalendarEventDetails", namespaces={"t": "http://schemas.microsoft.com/exchange/services/2006/types"})
        t = "{http://schemas.microsoft.com/exchange/services/2006/types}"
        out.append((event.find(t + "StartTime").text, details.find(t + "Subject").text,
                    details.find(t + "Location").text, details.find(t + "IsPrivate").text))
    return out


@pytest.mark.parametrize("level", ["Private", "Confidential"])
def test_a_private_meeting_shows_its_time_only_through_every_copy(emulator, level):
    alex, adele, megan = (emulator.soap(who) for who in (ALEX, ADELE, MEGAN))
    room = Soap(emulator.endpoint, ROOM)
    create(alex, level)
    # Every copy carries the level: organizer's, attendee's request and calendar item, room's.
    assert sensitivities(alex, "calendar") == [level]
    assert sensitivities(adele, "calendar") == [level] and sensitivities(adele, "inbox") == [level]
    assert sensitivities(room, "calendar") == [level]
    seen = details_seen_by_megan(megan)
    assert seen == [(SLOT[0], None, None, "true")] * 3, seen


def test_sensitivity_travels_with_updates_and_personal_stays_visible(emulator):
    alex, adele, megan = (emulator.soap(who) for who in (ALEX, ADELE, MEGAN))
    room = Soap(emulator.endpoint, ROOM)
    item_id, change_key = create(alex, "Personal")
    assert sensitivities(adele, "calendar") == ["Personal"] and sensitivities(room, "calendar") == ["Personal"]
    # Personal marks the item, it does not hide it (Exchange hides Private items only; this
    # emulator hides Confidential ones too).
    assert details_seen_by_megan(megan) == [(SLOT[0], "Layoffs", "Board room", "false")] * 3
    updated = alex.call(
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy">'
        f'<m:ItemChanges><t:ItemChange><t:ItemId Id="{item_id}" ChangeKey="{change_key}"/><t:Updates>'
        '<t:SetItemField><t:FieldURI FieldURI="item:Sensitivity"/><t:CalendarItem>'
        "<t:Sensitivity>Private</t:Sensitivity></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange>"
        "</m:ItemChanges></m:UpdateItem>")
    assert updated.response_codes == ["NoError"], updated.content
    assert sensitivities(adele, "calendar") == ["Private"] and sensitivities(room, "calendar") == ["Private"]
    assert sensitivities(adele, "inbox") == ["Private"]  # the update request
    assert details_seen_by_megan(megan) == [(SLOT[0], None, None, "true")] * 3
