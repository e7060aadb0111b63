"""Bad input gets EWS's own error forms, and changes nothing."""

from __future__ import annotations

import pytest

from .ews import envelope

GET_INBOX = ("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
             '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')

LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
NEXT_DAY = ("2026-12-02T12:00:00Z", "2026-12-02T13:00:00Z")
MISSING_ID = "AUVQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def request_id(soap) -> str:
    ((found, _),) = soap.find_ids("inbox", "MeetingRequest")
    return found


def assert_fault(answer, code: str) -> None:
    assert answer.status == 500, answer.content
    assert answer.text("//s:Fault/faultcode") == f"a:{code}"
    assert answer.fault_code == code
    assert answer.headers["Content-Type"].startswith("text/xml")


# --- request-level faults ---------------------------------------------------------------

def test_malformed_xml_is_a_schema_fault_with_its_position(alex):
    answer = alex.post(b'<?xml version="1.0"?>\n<soap:Envelope xmlns:soap="x">\n  <oops></soap:Envelope>')
    assert_fault(answer, "ErrorSchemaValidation")
    assert answer.text("//t:MessageXml/t:LineNumber") == "3"
    assert int(answer.text("//t:MessageXml/t:LinePosition")) > 0
    assert "well-formed" in answer.text("//faultstring")


def test_https_namespaces_from_the_documentation_are_named(alex):
    body = envelope('<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
                    '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
    answer = alex.post(body.replace(b'xmlns:t="http://', b'xmlns:t="https://'))
    assert_fault(answer, "ErrorSchemaValidation")
    message = answer.text("//faultstring")
    assert "https://schemas.microsoft.com/exchange/services/2006/types" in message
    assert "http://" in message


def test_unknown_operation_is_a_fault(alex):
    answer = alex.call("<m:FrobnicateItem/>", version="Exchange2010_SP1")
    assert_fault(answer, "ErrorInvalidRequest")
    assert answer.text("//faultstring") == ("The request is invalid: 'FrobnicateItem' is not an EWS operation.")
    # Like Exchange's faults: no SOAP header.
    assert answer.xpath("//s:Header") == []


def test_an_ews_operation_this_server_lacks_is_named(alex):
    answer = alex.call("<m:GetPersona/>", version="Exchange2013")
    # Not ErrorInvalidRequest, which clients take for a wrong schema version.
    assert_fault(answer, "ErrorInvalidOperation")
    assert answer.text("//faultstring") == ("The request is invalid: this server does not support the "
                                            "operation 'GetPersona'.")


def test_dtds_are_refused(alex):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            + envelope("<m:GetFolder/>").split(b"?>", 1)[1])
    assert_fault(alex.post(bomb), "ErrorSchemaValidation")


def test_invalid_enum_value_is_a_schema_fault(alex):
    answer = alex.call('<m:FindItem Traversal="Sideways"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
                       '</m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/>'
                       '</m:ParentFolderIds></m:FindItem>')
    assert_fault(answer, "ErrorSchemaValidation")
    assert "Sideways" in answer.text("//faultstring")


def test_bad_datetime_is_a_schema_fault(alex):
    answer = alex.call('<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>'
                       "<t:Subject>x</t:Subject><t:Start>tomorrow at noon</t:Start>"
                       f"<t:End>{LUNCH[1]}</t:End></t:CalendarItem></m:Items></m:CreateItem>")
    assert_fault(answer, "ErrorSchemaValidation")
    assert alex.find_ids("calendar") == []


@pytest.mark.parametrize("version, code", [("Exchange2019", "ErrorInvalidRequest"),
                                           ("Exchange2099", "ErrorInvalidServerVersion")])
def test_unknown_schema_versions(alex, version, code):
    assert_fault(alex.call("<m:GetFolder/>", version=version), code)


def test_faults_carry_no_soap_header_and_answers_the_servers_own_version(alex):
    answer = alex.call("<m:FrobnicateItem/>")
    assert answer.xpath("//s:Header") == [] and answer.xpath("//s:Body/s:Fault")
    info = alex.call(GET_INBOX, version="Exchange2010_SP1").first("//s:Header/t:ServerVersionInfo")
    # The default build (2019 CU14) reports its own value, whatever the request asked for.
    assert (info.get("MajorVersion"), info.get("MajorBuildNumber"), info.get("Version")) == ("15", "1544",
                                                                                             "V2017_07_11")


# --- per-item errors --------------------------------------------------------------------

def test_reply_without_reference_item_id(alex, adele):
    alex.create_meeting("Lunch", *LUNCH)
    answer = adele.call('<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>'
                        "<t:AcceptItem/></m:Items></m:CreateItem>")
    assert answer.status == 200
    msg = answer.first("//m:CreateItemResponseMessage")
    assert msg.get("ResponseClass") == "Error"
    assert [c.tag.split("}")[1] for c in msg] == ["MessageText", "ResponseCode", "DescriptiveLinkKey", "Items"]
    assert answer.response_codes == ["ErrorMissingInformationReferenceItemId"]


@pytest.mark.parametrize("bad_id, code", [("not-an-id", "ErrorInvalidIdMalformed"),
                                          (MISSING_ID, "ErrorItemNotFound")])
def test_reply_to_a_bad_or_missing_id(adele, bad_id, code):
    assert adele.reply(bad_id, "AcceptItem").response_codes == [code]


def test_organizer_cannot_answer_own_meeting(alex):
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    assert alex.reply(meeting_id, "AcceptItem").response_codes == ["ErrorCalendarIsOrganizerForAccept"]
    assert alex.reply(meeting_id, "DeclineItem").response_codes == ["ErrorCalendarIsOrganizerForDecline"]


def test_proposal_on_a_meeting_that_disallows_it_loses_nothing(alex, adele):
    alex.create_meeting("Lunch", *LUNCH, allow_proposals=False)
    req = request_id(adele)
    answer = adele.reply(req, "TentativelyAcceptItem", NEXT_DAY)
    assert answer.response_codes == ["ErrorInvalidOperation"]
    assert "AllowNewTimeProposal" in answer.text("//m:MessageText")
    # Nothing moved, nothing was sent.
    assert [i for i, _ in adele.find_ids("inbox")] == [req]
    assert adele.find_ids("sentitems") == []
    assert alex.find_ids("inbox") == []


def test_proposal_ending_before_it_starts(alex, adele):
    alex.create_meeting("Lunch", *LUNCH)
    answer = adele.reply(request_id(adele), "TentativelyAcceptItem", (NEXT_DAY[1], NEXT_DAY[0]))
    assert answer.response_codes == ["ErrorCalendarEndDateIsEarlierThanStartDate"]


def test_proposal_with_only_a_start(alex, adele):
    alex.create_meeting("Lunch", *LUNCH)
    answer = adele.call('<m:CreateItem><m:Items><t:TentativelyAcceptItem>'
                        f'<t:ReferenceItemId Id="{request_id(adele)}"/>'
                        f"<t:ProposedStart>{NEXT_DAY[0]}</t:ProposedStart>"
                        "</t:TentativelyAcceptItem></m:Items></m:CreateItem>")
    assert answer.response_codes == ["ErrorInvalidRequest"]
    assert "ProposedEnd" in answer.text("//m:MessageText")


def test_out_of_date_request(alex, adele):
    meeting_id, change_key = alex.create_meeting("Lunch", *LUNCH)
    old = request_id(adele)
    assert alex.move(meeting_id, change_key, *NEXT_DAY).response_codes == ["NoError"]
    assert adele.reply(old, "AcceptItem").response_codes == ["ErrorCalendarMeetingRequestIsOutOfDate"]


def test_answering_a_cancelled_meeting(alex, adele):
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    ((calendar_id, _),) = adele.find_ids("calendar", "CalendarItem")
    alex.call('<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendOnlyToAll">'
              f'<m:ItemIds><t:ItemId Id="{meeting_id}"/></m:ItemIds></m:DeleteItem>')
    assert adele.reply(calendar_id, "TentativelyAcceptItem").response_codes == [
        "ErrorCalendarIsCancelledForTentative"]


def test_replying_to_a_plain_message(alex, adele):
    alex.call('<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:Message><t:Subject>Hi</t:Subject>'
              "<t:ToRecipients><t:Mailbox><t:EmailAddress>AdeleV@contoso.com</t:EmailAddress></t:Mailbox>"
              "</t:ToRecipients></t:Message></m:Items></m:CreateItem>")
    ((message_id, _),) = adele.find_ids("inbox")
    assert adele.reply(message_id, "TentativelyAcceptItem").response_codes == [
        "ErrorInvalidItemForOperationTentative"]


def test_stale_change_key(alex, adele):
    meeting_id, change_key = alex.create_meeting("Lunch", *LUNCH)
    adele.reply(request_id(adele), "AcceptItem")  # updates Alex's item
    answer = alex.move(meeting_id, change_key, *NEXT_DAY)
    assert answer.response_codes == ["ErrorIrresolvableConflict"]
    assert alex.get(meeting_id).text("//t:CalendarItem/t:Start") == LUNCH[0]
    # AlwaysOverwrite takes the write anyway.
    forced = alex.move(meeting_id, change_key, *NEXT_DAY, conflict="AlwaysOverwrite")
    assert forced.response_codes == ["NoError"]


def test_calendar_item_needs_send_meeting_invitations(alex):
    answer = alex.call('<m:CreateItem><m:Items><t:CalendarItem><t:Subject>x</t:Subject>'
                       f"<t:Start>{LUNCH[0]}</t:Start><t:End>{LUNCH[1]}</t:End></t:CalendarItem>"
                       "</m:Items></m:CreateItem>")
    assert answer.response_codes == ["ErrorSendMeetingInvitationsRequired"]
    assert alex.find_ids("calendar") == []


def test_each_id_gets_its_own_answer(alex):
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    answer = alex.call('<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>'
                       f'<t:ItemId Id="{meeting_id}"/><t:ItemId Id="{MISSING_ID}"/></m:ItemIds></m:GetItem>')
    assert answer.response_codes == ["NoError", "ErrorItemNotFound"]
    classes = [m.get("ResponseClass") for m in answer.xpath("//m:GetItemResponseMessage")]
    assert classes == ["Success", "Error"]


def test_unknown_field_uris_are_ignored(alex):
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    answer = alex.get(meeting_id, "IdOnly", ("item:Subject", "calendar:NoSuchThing", "bogus"))
    assert answer.response_codes == ["NoError"]
    assert answer.text("//t:Subject") == "Lunch"


def test_calendar_view_limits(alex):
    def view(start, end, folder="calendar"):
        return alex.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
            f'<m:CalendarView StartDate="{start}" EndDate="{end}"/><m:ParentFolderIds>'
            f'<t:DistinguishedFolderId Id="{folder}"/></m:ParentFolderIds></m:FindItem>').response_codes

    assert view("2026-01-01T00:00:00Z", "2029-01-01T00:00:00Z") == ["ErrorCalendarViewRangeTooBig"]
    assert view(*LUNCH, folder="inbox") == ["ErrorCalendarFolderIsInvalidForCalendarView"]


def test_exchangelib_is_told_once_that_an_operation_is_missing(emulator):
    """exchangelib re-sends a call under each schema version when the answer is one it
    reads as 'wrong version'; an unsupported operation must stop it at the first try."""
    from exchangelib import BASIC, DELEGATE, Account, Configuration, Credentials
    from exchangelib.errors import ErrorInvalidOperation
    from exchangelib.services import GetPersona

    config = Configuration(service_endpoint=emulator.endpoint, auth_type=BASIC,
                           credentials=Credentials("AlexW@contoso.com", "alex-demo-pw"))
    account = Account("AlexW@contoso.com", config=config, autodiscover=False, access_type=DELEGATE)
    before = len(emulator.exchanges)
    with pytest.raises(ErrorInvalidOperation, match="GetPersona"):
        list(GetPersona(account=account).call(personas=["AAMkAGI2AAA="]))
    calls = [ex.operation for ex in emulator.exchanges[before:]]
    assert calls.count("GetPersona") == 1, calls
