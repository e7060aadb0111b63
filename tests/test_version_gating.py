"""The propose-new-time feature exists only from build 15.00.0800.007 and schema Exchange2013."""

from __future__ import annotations

import pytest

LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
NEXT_DAY = ("2026-12-02T12:00:00Z", "2026-12-02T13:00:00Z")
GET_INBOX = ("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
             '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')


def offered(soap, version=...) -> list[str]:
    ((request_id, _),) = soap.find_ids("inbox", "MeetingRequest")
    answer = soap.call(
        '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
        '<t:FieldURI FieldURI="item:ResponseObjects"/></t:AdditionalProperties></m:ItemShape>'
        f'<m:ItemIds><t:ItemId Id="{request_id}"/></m:ItemIds></m:GetItem>',
        version=soap.version if version is ... else version)
    return [el.tag.split("}")[1] for el in answer.xpath("//t:ResponseObjects/*")]


def request_id(soap) -> str:
    ((found, _),) = soap.find_ids("inbox", "MeetingRequest")
    return found


@pytest.mark.server_build("14.03.0123.004")
def test_exchange_2010_sp3_has_no_proposals(emulator):
    alex, adele = (emulator.soap(u, version="Exchange2010_SP2") for u in
                   ("AlexW@contoso.com", "AdeleV@contoso.com"))
    alex.create_meeting("Lunch", *LUNCH)
    info = adele.call(GET_INBOX).first("//t:ServerVersionInfo")
    assert (info.get("MajorVersion"), info.get("MinorVersion"), info.get("MajorBuildNumber"),
            info.get("Version")) == ("14", "3", "123", "Exchange2010_SP2")
    assert "ProposeNewTime" not in offered(adele)
    answer = adele.reply(request_id(adele), proposed=NEXT_DAY)
    assert answer.fault_code == "ErrorSchemaValidation"
    assert "14.03.0123.004" in answer.text("//faultstring")
    # A 2013 schema is newer than this server knows.
    assert adele.call("<m:GetFolder/>", version="Exchange2013").fault_code == "ErrorInvalidServerVersion"


@pytest.mark.server_build("15.00.0775.038")
def test_exchange_2013_cu3_refuses_proposals_but_takes_plain_replies(emulator):
    alex, adele = emulator.soap("AlexW@contoso.com"), emulator.soap("AdeleV@contoso.com")
    alex.create_meeting("Lunch", *LUNCH)
    assert offered(adele) == ["AcceptItem", "TentativelyAcceptItem", "DeclineItem",
                              "ReplyToItem", "ReplyAllToItem", "ForwardItem"]
    refused = adele.reply(request_id(adele), proposed=NEXT_DAY)
    assert refused.status == 500 and refused.fault_code == "ErrorSchemaValidation"
    assert "ProposedStart" in refused.text("//faultstring")
    assert alex.find_ids("inbox") == []  # the refused request delivered nothing
    assert adele.reply(request_id(adele)).response_codes == ["NoError"]
    ((response_id, _),) = alex.find_ids("inbox", "MeetingResponse")
    assert alex.get(response_id).text("//t:Subject") == "Tentative: Lunch"


@pytest.mark.server_build("15.00.0800.007")
def test_build_800_7_has_the_feature(emulator):
    alex, adele = emulator.soap("AlexW@contoso.com"), emulator.soap("AdeleV@contoso.com")
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    assert "ProposeNewTime" in offered(adele)
    assert adele.reply(request_id(adele), proposed=NEXT_DAY).response_codes == ["NoError"]
    ((response_id, _),) = alex.find_ids("inbox", "MeetingResponse")
    assert alex.get(response_id).text("//t:ProposedStart") == NEXT_DAY[0]


@pytest.mark.server_build("15.00.0800.007")
def test_older_requested_schema_sees_no_2013_elements(emulator):
    alex, adele = emulator.soap("AlexW@contoso.com"), emulator.soap("AdeleV@contoso.com")
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    assert "ProposeNewTime" not in offered(adele, version="Exchange2010_SP2")
    assert "ProposeNewTime" not in offered(adele, version=None)  # no RequestServerVersion at all
    old = adele.reply(request_id(adele), proposed=NEXT_DAY, version="Exchange2010_SP2")
    assert old.fault_code == "ErrorIncorrectSchemaVersion"
    assert adele.reply(request_id(adele), proposed=NEXT_DAY).response_codes == ["NoError"]

    ((response_id, _),) = alex.find_ids("inbox", "MeetingResponse")
    legacy = emulator.soap("AlexW@contoso.com", version="Exchange2010_SP2")
    assert legacy.get(response_id).xpath("//t:ProposedStart") == []
    assert legacy.get(meeting_id).xpath("//t:Attendee/t:ProposedStart") == []
    # The server's own Version (Microsoft's samples from 15.0.800 say V2_6), not an echo.
    assert legacy.get(meeting_id).first("//s:Header/t:ServerVersionInfo").get("Version") == "V2_6"
    assert alex.get(response_id).text("//t:ProposedStart") == NEXT_DAY[0]


@pytest.mark.server_build("15.00.0775.038")
def test_exchangelib_sees_the_gate_as_a_schema_error(emulator):
    from exchangelib.errors import ErrorSchemaValidation
    from exchangelib.items import MeetingRequest, MeetingResponse

    from .test_exchangelib_roundtrip import HOUR, NEXT_DAY, account, invite_adele, only

    alex, adele = account(emulator, "AlexW@contoso.com"), account(emulator, "AdeleV@contoso.com")
    assert alex.version.api_version == "Exchange2013"
    invite_adele(alex)
    request = only(adele.inbox.all(), MeetingRequest)
    with pytest.raises(ErrorSchemaValidation, match="15.00.0800.007"):
        request.tentatively_accept(proposed_start=NEXT_DAY, proposed_end=NEXT_DAY + HOUR)
    assert list(alex.inbox.all()) == []
    request.tentatively_accept()  # the fallback every pre-feature client used: a plain answer
    assert only(alex.inbox.all(), MeetingResponse).subject == "Tentative: Lunch"
