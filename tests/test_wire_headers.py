"""Issue 13: the SOAP headers of a request are checked against the schema too, on the wire.
A malformed EWS header gets ErrorSchemaValidation with the header element's line and
position; an unknown Version value gets ErrorInvalidServerVersion (as Exchange Online
answers Exchange2007_SP3); headers the schema does not declare are skipped, as SOAP's
lax Header content is."""

from __future__ import annotations

import pytest

from ews_propose.server import EmulatorServer, ServerConfig

from .ews import Soap, envelope
from .test_wire_faults import detail

GET_INBOX = ("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
             '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
GET_ITEM = ("<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
            '<m:ItemIds><t:ItemId Id="AAMkAGUnknown"/></m:ItemIds></m:GetItem>')
SSC = "<t:SerializedSecurityContext>{}</t:SerializedSecurityContext>"


def send(soap: Soap, body: str, header: str):
    """The request with ``header`` on a line of its own, so its position can be checked."""
    sent = envelope(body, "Exchange2013", "\n" + header + "\n").decode()
    return sent, soap.post(sent.encode())


def assert_points_at(sent: str, answer, element: str, named: bool = True) -> dict[str, str]:
    assert answer.status == 500 and answer.fault_code == "ErrorSchemaValidation", answer.content[:500]
    got = detail(answer)
    assert not named or element in got["Violation"], got
    line = sent.split("\n")[int(got["LineNumber"]) - 1]
    assert line[int(got["LinePosition"]) - 1:].startswith(f"t:{element}"), (got, line)
    return got


@pytest.mark.parametrize("header, element", [
    ("<t:DateTimePrecision>Nanoseconds</t:DateTimePrecision>", "DateTimePrecision"),
    ("<t:TimeZoneContext/>", "TimeZoneContext"),
    ("<t:ExchangeImpersonation><t:ConnectingSID><t:Upn>AdeleV@contoso.com</t:Upn></t:ConnectingSID>"
     "</t:ExchangeImpersonation>", "ExchangeImpersonation"),
    ("<t:ManagementRole><t:Roles><t:Role>Mail Recipients</t:Role></t:Roles></t:ManagementRole>", "Roles"),
    ("<t:MailboxCulture>not a culture</t:MailboxCulture>", "MailboxCulture"),
    (SSC.format("<t:PrimarySmtpAddress>AlexW@contoso.com</t:PrimarySmtpAddress>"), "PrimarySmtpAddress"),
])
def test_a_malformed_header_gets_error_schema_validation(alex, header, element):
    sent, answer = send(alex, GET_ITEM, header)
    assert_points_at(sent, answer, element)


def test_an_enumeration_value_is_worded_as_exchange_words_it(alex):
    sent, answer = send(alex, GET_ITEM, "<t:DateTimePrecision>Nanoseconds</t:DateTimePrecision>")
    got = assert_points_at(sent, answer, "DateTimePrecision")
    assert got["Violation"] == (
        "The 'http://schemas.microsoft.com/exchange/services/2006/types:DateTimePrecision' element is invalid - "
        "The value 'Nanoseconds' is invalid according to its datatype "
        "'http://schemas.microsoft.com/exchange/services/2006/types:DateTimePrecisionType' - "
        "The Enumeration constraint failed.")


@pytest.mark.parametrize("header", [
    "<t:DateTimePrecision>Milliseconds</t:DateTimePrecision>",
    '<t:TimeZoneContext><t:TimeZoneDefinition Id="W. Europe Standard Time"/></t:TimeZoneContext>',
    "<t:ManagementRole><t:UserRoles><t:Role>Mail Recipients</t:Role></t:UserRoles></t:ManagementRole>",
    "<t:MailboxCulture>en-US</t:MailboxCulture>",
    SSC.format("<t:UserSid>S-1-5-21-1-2-3-500</t:UserSid><t:GroupSids><t:GroupIdentifier Attributes=\"7\">"
               "<t:SecurityIdentifier>S-1-1-0</t:SecurityIdentifier></t:GroupIdentifier></t:GroupSids>"),
    # not declared by the schema: skipped, as SOAP's lax Header content is
    "<t:Frobnicate>1</t:Frobnicate>",
    '<x:Trace xmlns:x="urn:example:tracing">abc</x:Trace>',
])
def test_a_well_formed_header_goes_through(alex, header):
    _, answer = send(alex, GET_INBOX, header)
    assert answer.status == 200 and answer.response_codes == ["NoError"], answer.content[:500]


def test_a_well_formed_impersonation_header_reaches_the_rights_check(alex):
    _, answer = send(alex, GET_INBOX, "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
                     "AdeleV@contoso.com</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>")
    assert answer.fault_code == "ErrorImpersonateUserDenied"  # Alex has no impersonation right


def test_an_unknown_version_is_invalid_server_version_not_a_schema_fault(alex):
    answer = alex.post(envelope(GET_INBOX, "Exchange2007_SP3"))
    assert answer.status == 500 and answer.fault_code == "ErrorInvalidServerVersion"


def test_lax_schema_lets_a_malformed_header_through(tmp_path):
    server = EmulatorServer(ServerConfig(port=0, store=str(tmp_path / "s.sqlite3"), strict_schema=False,
                                         inspector=False)).start()
    try:
        alex = Soap(server.endpoint, "AlexW@contoso.com")
        _, answer = send(alex, GET_INBOX, "<t:DateTimePrecision>Nanoseconds</t:DateTimePrecision>")
        assert answer.status == 200 and answer.response_codes == ["NoError"]
        _, empty_context = send(alex, GET_INBOX, "<t:TimeZoneContext/>")
        assert empty_context.status == 200
    finally:
        server.stop()


def test_request_server_version_is_checked_beyond_its_version(alex):
    sent = envelope(GET_INBOX, None, '\n<t:RequestServerVersion Version="Exchange2013" Frob="1"/>\n').decode()
    answer = alex.post(sent.encode())
    got = assert_points_at(sent, answer, "RequestServerVersion", named=False)
    assert got["Violation"] == "The 'Frob' attribute is not declared."  # .NET's words
