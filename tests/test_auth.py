"""HTTP Basic against the directory; each mailbox reaches only itself."""

from __future__ import annotations

import requests

from .ews import Soap, envelope

LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
GET_INBOX = envelope('<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
                     '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')


def test_no_credentials_get_401_with_a_basic_challenge(emulator):
    r = requests.post(emulator.endpoint, data=GET_INBOX, headers={"Content-Type": "text/xml"}, timeout=10)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith('Basic realm="')


def test_wrong_password_gets_401(emulator):
    answer = Soap(emulator.endpoint, "AlexW@contoso.com", "wrong").post(GET_INBOX)
    assert answer.status == 401
    assert Soap(emulator.endpoint, "nobody@contoso.com", "x").post(GET_INBOX).status == 401


def test_user_name_forms(emulator):
    for user in ("AlexW@contoso.com", "alexw@CONTOSO.com", "AlexW", "CONTOSO\\AlexW"):
        assert Soap(emulator.endpoint, user, "alex-demo-pw").post(GET_INBOX).status == 200, user


def test_another_mailboxs_item_looks_missing(alex, adele):
    meeting_id, change_key = alex.create_meeting("Private lunch", *LUNCH, attendees=())
    missing = "AUVQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    theirs, nothing = adele.get(meeting_id), adele.get(missing)
    assert theirs.response_codes == nothing.response_codes == ["ErrorItemNotFound"]
    assert theirs.text("//m:MessageText") == nothing.text("//m:MessageText")
    assert b"Private lunch" not in theirs.content
    assert adele.reply(meeting_id, "AcceptItem").response_codes == ["ErrorItemNotFound"]
    assert adele.move(meeting_id, change_key, *LUNCH).response_codes == ["ErrorItemNotFound"]
    deleted = adele.call('<m:DeleteItem DeleteType="HardDelete">'
                         f'<m:ItemIds><t:ItemId Id="{meeting_id}"/></m:ItemIds></m:DeleteItem>')
    assert deleted.response_codes == ["ErrorItemNotFound"]
    assert alex.get(meeting_id).text("//t:Subject") == "Private lunch"


def test_another_mailboxs_folder_is_denied(adele):
    answer = adele.call('<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
                        '<m:FolderIds><t:DistinguishedFolderId Id="calendar"><t:Mailbox>'
                        '<t:EmailAddress>AlexW@contoso.com</t:EmailAddress></t:Mailbox>'
                        '</t:DistinguishedFolderId></m:FolderIds></m:GetFolder>')
    assert answer.response_codes == ["ErrorAccessDenied"]


def test_impersonation_is_denied(alex):
    header = ('<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>AdeleV@contoso.com'
              '</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>')
    answer = alex.call('<m:GetFolder/>', header=header)
    assert answer.status == 500
    assert answer.fault_code == "ErrorImpersonateUserDenied"


def test_wsdl_and_schemas_are_served(emulator):
    base = emulator.endpoint.rsplit("/", 1)[0]
    wsdl = requests.get(base + "/Services.wsdl", timeout=10)
    assert wsdl.status_code == 200
    assert emulator.endpoint.encode() in wsdl.content  # the address is the emulator's own
    for name in ("messages.xsd", "types.xsd"):
        assert requests.get(f"{base}/{name}", timeout=10).content.startswith(b"<?xml")


def test_other_paths_and_methods(emulator):
    assert requests.get(emulator.endpoint.replace("Exchange.asmx", "nope"), timeout=10).status_code == 404
    r = requests.get(emulator.endpoint, timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "POST"
