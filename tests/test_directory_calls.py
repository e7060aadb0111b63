"""Directory calls and automatic replies on the wire: ResolveNames, ExpandDL,
GetRoomLists, GetRooms, GetSearchableMailboxes, Get/SetUserOofSettings."""

from __future__ import annotations

from .ews import envelope


def resolve(soap, text, full="false"):
    return soap.call(f'<m:ResolveNames ReturnFullContactData="{full}"><m:UnresolvedEntry>{text}'
                     "</m:UnresolvedEntry></m:ResolveNames>")


def test_resolve_names_finds_users_and_rooms(alex):
    one = resolve(alex, "adelev@contoso.com", "true")
    assert one.response_codes == ["NoError"], one.content
    assert one.first("//t:Resolution/t:Mailbox/t:Name").text == "Adele Vance"
    assert one.first("//t:Resolution/t:Contact/t:Surname").text == "Vance"
    room = resolve(alex, "Conf Room")
    assert [el.text for el in room.xpath("//t:Mailbox/t:EmailAddress")] == ["Rainier@contoso.com"]
    many = resolve(alex, "a")  # Adele, Alex
    assert many.response_codes == ["ErrorNameResolutionMultipleResults"]
    assert many.first("//m:ResolveNamesResponseMessage").get("ResponseClass") == "Warning"
    assert len(many.xpath("//t:Resolution")) == 2
    assert resolve(alex, "foo\\bar").response_codes == ["ErrorNameResolutionNoResults"]
    assert resolve(alex, "nobody@example.com").response_codes == ["ErrorNameResolutionNoResults"]


def test_room_lists_and_distribution_lists(alex):
    lists = alex.call("<m:GetRoomLists/>")
    assert lists.first("//m:GetRoomListsResponse").get("ResponseClass") == "Success"
    assert lists.xpath("//m:RoomLists/*") == []
    rooms = alex.call("<m:GetRooms><m:RoomList><t:EmailAddress>lists@contoso.com</t:EmailAddress></m:RoomList>"
                      "</m:GetRooms>")
    assert rooms.first("//m:ResponseCode").text == "ErrorNameResolutionNoResults"
    dl = alex.call("<m:ExpandDL><m:Mailbox><t:EmailAddress>all@contoso.com</t:EmailAddress></m:Mailbox></m:ExpandDL>")
    assert dl.response_codes == ["ErrorNameResolutionNoResults"]
    search = alex.call("<m:GetSearchableMailboxes/>")
    assert search.first("//m:ResponseCode").text == "ErrorAccessDenied"


def oof(soap, settings, who="AlexW@contoso.com"):
    return soap.post(envelope(
        f"<m:SetUserOofSettingsRequest><t:Mailbox><t:Address>{who}</t:Address></t:Mailbox>"
        f"<t:UserOofSettings>{settings}</t:UserOofSettings></m:SetUserOofSettingsRequest>", "Exchange2013"))


def get_oof(soap, who="AlexW@contoso.com"):
    return soap.post(envelope(f"<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>{who}</t:Address></t:Mailbox>"
                              "</m:GetUserOofSettingsRequest>", "Exchange2013"))


def test_automatic_replies_are_kept_per_mailbox(alex, adele):
    before = get_oof(alex)
    assert before.first("//t:OofState").text == "Disabled"
    answer = oof(alex, "<t:OofState>Scheduled</t:OofState><t:ExternalAudience>Known</t:ExternalAudience>"
                       "<t:Duration><t:StartTime>2026-12-20T00:00:00Z</t:StartTime>"
                       "<t:EndTime>2027-01-04T00:00:00Z</t:EndTime></t:Duration>"
                       "<t:InternalReply><t:Message>Back in January</t:Message></t:InternalReply>"
                       "<t:ExternalReply><t:Message>Away</t:Message></t:ExternalReply>")
    assert answer.first("//m:ResponseCode").text == "NoError", answer.content
    after = get_oof(alex)
    assert after.first("//t:OofState").text == "Scheduled"
    assert after.first("//t:ExternalAudience").text == "Known"
    assert after.first("//t:Duration/t:EndTime").text == "2027-01-04T00:00:00Z"
    assert after.first("//t:InternalReply/t:Message").text == "Back in January"
    assert get_oof(adele, "AdeleV@contoso.com").first("//t:OofState").text == "Disabled"
    assert get_oof(adele).first("//m:ResponseCode").text == "ErrorAccessDenied"
    backwards = oof(alex, "<t:OofState>Scheduled</t:OofState><t:ExternalAudience>All</t:ExternalAudience>"
                          "<t:Duration><t:StartTime>2027-01-04T00:00:00Z</t:StartTime>"
                          "<t:EndTime>2026-12-20T00:00:00Z</t:EndTime></t:Duration>")
    assert backwards.first("//m:ResponseCode").text == "ErrorCalendarEndDateIsEarlierThanStartDate"


def test_no_delegates_and_each_user_named_is_answered(alex):
    answer = alex.call(
        '<m:GetDelegate IncludePermissions="true"><m:Mailbox><t:EmailAddress>AlexW@contoso.com</t:EmailAddress>'
        "</m:Mailbox><m:UserIds><t:UserId><t:SID>S-1-XXX</t:SID></t:UserId>"
        "<t:UserId><t:PrimarySmtpAddress>nobody@example.com</t:PrimarySmtpAddress></t:UserId>"
        "<t:UserId><t:PrimarySmtpAddress>AdeleV@contoso.com</t:PrimarySmtpAddress></t:UserId>"
        "</m:UserIds></m:GetDelegate>")
    assert [el.text for el in answer.xpath("//m:DelegateUserResponseMessageType/m:ResponseCode")] == [
        "ErrorInvalidUserSid", "ErrorDelegateNoUser", "ErrorNotDelegate"]
    other = alex.call('<m:GetDelegate IncludePermissions="false"><m:Mailbox><t:EmailAddress>AdeleV@contoso.com'
                      "</t:EmailAddress></m:Mailbox></m:GetDelegate>")
    assert other.first("//m:ResponseCode").text == "ErrorAccessDenied"


def test_mail_tips_carry_automatic_replies(alex, adele):
    oof(adele, "<t:OofState>Enabled</t:OofState><t:ExternalAudience>All</t:ExternalAudience>"
               "<t:InternalReply><t:Message>On leave</t:Message></t:InternalReply>"
               "<t:ExternalReply><t:Message>Away</t:Message></t:ExternalReply>", who="AdeleV@contoso.com")
    answer = alex.call(
        "<m:GetMailTips><m:SendingAs><t:EmailAddress>AlexW@contoso.com</t:EmailAddress></m:SendingAs>"
        "<m:Recipients><t:Mailbox><t:EmailAddress>AdeleV@contoso.com</t:EmailAddress></t:Mailbox>"
        "<t:Mailbox><t:EmailAddress>ghost@contoso.com</t:EmailAddress></t:Mailbox></m:Recipients>"
        "<m:MailTipsRequested>All</m:MailTipsRequested></m:GetMailTips>")
    tips = answer.xpath("//m:MailTips")
    assert [t.findtext("{*}RecipientAddress/{*}EmailAddress") for t in tips] == ["AdeleV@contoso.com",
                                                                                 "ghost@contoso.com"]
    assert tips[0].findtext("{*}OutOfOffice/{*}ReplyBody/{*}Message") == "On leave"
    assert [t.findtext("{*}InvalidRecipient") for t in tips] == ["false", "true"]
