"""Issue 13: faults shaped as Exchange sends them, and strict requests (serve
--strict-schema): a request that breaks the schema of its RequestServerVersion gets
ErrorSchemaValidation with the real line, position and violated element."""

from __future__ import annotations

import pytest

from ews_propose.server import EmulatorServer, ServerConfig

from .ews import Soap, envelope

LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
NEXT_DAY = ("2026-12-02T12:00:00Z", "2026-12-02T13:00:00Z")
SOAP_HEAD = ('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
             'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
             'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">')


def raw(soap: Soap, text: str):
    return soap.post(text.encode())


def detail(answer) -> dict[str, str]:
    return {name: answer.text(f"//detail/{where}") for name, where in (
        ("ResponseCode", "e:ResponseCode"), ("Message", "e:Message"), ("LineNumber", "t:MessageXml/t:LineNumber"),
        ("LinePosition", "t:MessageXml/t:LinePosition"), ("Violation", "t:MessageXml/t:Violation"))}


def test_a_fault_has_no_header_and_points_at_the_element(alex):
    text = (SOAP_HEAD + "\n<s:Header><t:RequestServerVersion/></s:Header>\n<s:Body><m:GetFolder/></s:Body></s:Envelope>")
    answer = raw(alex, text)
    assert answer.status == 500 and answer.fault_code == "ErrorSchemaValidation"
    assert answer.xpath("//s:Header") == []
    assert answer.text("//s:Fault/faultcode") == "a:ErrorSchemaValidation"
    got = detail(answer)
    line = text.split("\n")[1]
    assert got["LineNumber"] == "2"
    assert got["LinePosition"] == str(line.index("t:RequestServerVersion") + 1)
    assert got["ResponseCode"] == "ErrorSchemaValidation" and "Version" in got["Violation"]


def test_a_not_well_formed_request_points_at_the_break(alex):
    answer = raw(alex, SOAP_HEAD + "<s:Body>\n  <m:GetFolder></m:GetFoldr></s:Body></s:Envelope>")
    got = detail(answer)
    assert answer.fault_code == "ErrorSchemaValidation" and got["LineNumber"] == "2"
    assert int(got["LinePosition"]) > 0


@pytest.fixture
def strict(tmp_path):
    server = EmulatorServer(ServerConfig(port=0, store=str(tmp_path / "s.sqlite3"), strict_schema=True)).start()
    try:
        yield server
    finally:
        server.stop()


def calendar_item(children: str) -> str:
    return ('<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items>\n'
            f"<t:CalendarItem>{children}</t:CalendarItem>\n</m:Items></m:CreateItem>")


START = f"<t:Start>{LUNCH[0]}</t:Start>"
END = f"<t:End>{LUNCH[1]}</t:End>"
ATTENDEES = ("<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>AdeleV@contoso.com"
             "</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees>")


@pytest.mark.parametrize("children, violated", [
    (END + START, "Start"),  # End before Start
    (START + END + "<t:Location>Room</t:Location>" + "<t:Subject>x</t:Subject>", "Subject"),
    (ATTENDEES + START + END, "Start"),  # attendees before Start
    (START + "<t:Frobnicate>1</t:Frobnicate>" + END, "Frobnicate"),  # unknown element
])
def test_strict_calendar_items_break_the_schema_like_exchange(strict, children, violated):
    alex = Soap(strict.endpoint, "AlexW@contoso.com", version="Exchange2013")
    sent = envelope(calendar_item(children), "Exchange2013").decode()
    answer = alex.post(sent.encode())
    assert answer.status == 500 and answer.fault_code == "ErrorSchemaValidation", answer.content[:400]
    got = detail(answer)
    assert f"'{violated}'" in got["Violation"] and "in namespace" in got["Violation"]
    assert got["Violation"] in answer.text("//faultstring")
    # The position is that of the violated element in the request as sent (1-based, the
    # name's first character).
    line = sent.split("\n")[int(got["LineNumber"]) - 1]
    assert line[int(got["LinePosition"]) - 1:].startswith(f"t:{violated}"), (got, line)
    assert alex.find_ids("calendar") == []  # nothing was created


def test_strict_folder_shape_and_proposal_order(strict):
    alex = Soap(strict.endpoint, "AlexW@contoso.com", version="Exchange2013")
    bad_shape = alex.call("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:Depth>1</t:Depth>"
                          '</m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds>'
                          "</m:GetFolder>")
    assert bad_shape.fault_code == "ErrorSchemaValidation" and "'Depth'" in detail(bad_shape)["Violation"]
    adele = Soap(strict.endpoint, "AdeleV@contoso.com", version="Exchange2013")
    alex.create_meeting("Lunch", *LUNCH)
    ((request_id, _),) = adele.find_ids("inbox", "MeetingRequest")
    proposal_first = adele.call(
        '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:TentativelyAcceptItem>'
        f"<t:ProposedStart>{NEXT_DAY[0]}</t:ProposedStart><t:ProposedEnd>{NEXT_DAY[1]}</t:ProposedEnd>"
        f'<t:ReferenceItemId Id="{request_id}"/></t:TentativelyAcceptItem></m:Items></m:CreateItem>')
    assert proposal_first.fault_code == "ErrorSchemaValidation"
    assert "'ReferenceItemId'" in detail(proposal_first)["Violation"]
    # The same request in schema order goes through.
    assert adele.reply(request_id, proposed=NEXT_DAY).response_codes == ["NoError"]


def test_strict_requests_follow_the_requested_version(strict):
    """An Exchange2010_SP2 request may not carry a 2013 element (TextBody): its schema
    lacks it; under Exchange2013 the same request is valid."""
    message = ('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>Hi</t:Subject>'
               '<t:TextBody BodyType="Text">text</t:TextBody></t:Message></m:Items></m:CreateItem>')
    old = Soap(strict.endpoint, "AlexW@contoso.com", version="Exchange2010_SP2").call(message)
    assert old.fault_code == "ErrorSchemaValidation" and "'TextBody'" in detail(old)["Violation"]
    new = Soap(strict.endpoint, "AlexW@contoso.com", version="Exchange2013").call(message)
    assert new.response_codes == ["NoError"]


def test_strict_mode_keeps_valid_requests_and_unknown_operations(strict):
    alex = Soap(strict.endpoint, "AlexW@contoso.com", version="Exchange2013")
    assert alex.call("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
                     '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>'
                     ).response_codes == ["NoError"]
    assert alex.call("<m:FrobnicateItem/>").fault_code == "ErrorInvalidRequest"


def test_strict_subscribe_with_a_mailbox_folder_is_accepted(strict):
    """exchangelib names the folder with a Mailbox; Subscribe's content is not validated."""
    alex = Soap(strict.endpoint, "AlexW@contoso.com", version="Exchange2013")
    answer = alex.call(
        '<m:Subscribe><m:PullSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId Id="inbox">'
        "<t:Mailbox><t:EmailAddress>AlexW@contoso.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>"
        "</t:FolderIds><t:EventTypes><t:EventType>CreatedEvent</t:EventType></t:EventTypes>"
        "<t:Timeout>10</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>")
    assert answer.response_codes == ["NoError"], answer.content[:400]


def test_zeep_sends_the_declared_impersonation_header(emulator):
    """Services.wsdl declares ExchangeImpersonation on every operation, as Microsoft's does,
    so a WSDL-driven client can send it; this caller has no right to impersonate."""
    import zeep

    from .test_zeep import HEADERS, zeep_service

    service, _ = zeep_service(emulator, "AlexW@contoso.com")
    headers = dict(HEADERS, ExchangeImpersonation={"ConnectingSID": {"PrimarySmtpAddress": "AdeleV@contoso.com"}})
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.GetFolder(FolderShape={"BaseShape": "IdOnly"},
                          FolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "inbox"}}]},
                          _soapheaders=headers)
    assert str(fault.value.code).endswith("ErrorImpersonateUserDenied")


MAIL_TIPS = ("<m:GetMailTips>{text}<m:SendingAs><t:EmailAddress>AlexW@contoso.com</t:EmailAddress></m:SendingAs>"
             "<m:Recipients><t:Mailbox><t:EmailAddress>AdeleV@contoso.com</t:EmailAddress></t:Mailbox></m:Recipients>"
             "{requested}</m:GetMailTips>")


def test_exchangelibs_get_mail_tips_form_is_answered_as_exchange_answers_it(emulator, alex):
    """exchangelib 5.6 writes MailTipsRequested's value as GetMailTips' text, which
    Microsoft's schema refuses; its own suite passes that call against real Exchange, so
    the emulator answers it (docs/wire-fidelity.md). Other broken forms stay refused."""
    from .test_exchangelib_roundtrip import account

    tips = account(emulator, "AlexW@contoso.com").mail_tips
    assert tips.recipient_address.email_address == "AlexW@contoso.com"
    assert alex.call(MAIL_TIPS.format(text="All", requested="")).response_codes == ["NoError", "NoError"]
    assert alex.call(MAIL_TIPS.format(text="", requested="<m:MailTipsRequested>All</m:MailTipsRequested>")
                     ).response_codes == ["NoError", "NoError"]
    missing = alex.call(MAIL_TIPS.format(text="", requested=""))
    assert missing.fault_code == "ErrorSchemaValidation" and "incomplete content" in detail(missing)["Violation"]
    not_a_value = alex.call(MAIL_TIPS.format(text="<!-- x -->1 2", requested=""))
    assert not_a_value.fault_code == "ErrorSchemaValidation"


def test_strict_is_the_default_everywhere_and_lax_is_an_opt_out(alex):
    """serve, ServerConfig and the suite's own emulator refuse the issue's examples without
    any flag; serve --lax-schema (and --strict-schema, kept as a no-op) still parse."""
    from ews_propose.cli import build_parser

    parse = build_parser().parse_args
    assert parse(["serve"]).strict_schema is True
    assert parse(["serve", "--lax-schema"]).strict_schema is False
    assert parse(["serve", "--strict-schema"]).strict_schema is True
    assert ServerConfig().strict_schema is True
    answer = alex.call(calendar_item(END + START))  # the default fixture: no flag given
    assert answer.fault_code == "ErrorSchemaValidation" and "'Start'" in detail(answer)["Violation"]
