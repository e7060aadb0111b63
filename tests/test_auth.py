"""HTTP Basic against the directory; each mailbox reaches only itself."""

from __future__ import annotations

import pytest
import requests

from ews_propose.directory import Directory, DirectoryError
from ews_propose.server import EmulatorServer, ServerConfig

from .ews import Answer, Soap, envelope
from .stores import store_for

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


def impersonating(smtp: str) -> str:
    return ("<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
            f"{smtp}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>")


def test_impersonation_needs_the_right(alex):
    answer = alex.call("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>"
                       '<t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>',
                       header=impersonating("AdeleV@contoso.com"))
    assert answer.status == 500
    assert answer.fault_code == "ErrorImpersonateUserDenied"


SERVICE_TOKEN = "svc-token-0123456789abcdef"
SERVICE_DIRECTORY = f"""
[[mailbox]]
smtp = "svc@contoso.com"
name = "Scheduling service"
token = "{SERVICE_TOKEN}"
impersonation = true

[[mailbox]]
smtp = "AlexW@contoso.com"
password = "alex-demo-pw"

[[mailbox]]
smtp = "AdeleV@contoso.com"
password = "adele-demo-pw"
"""


@pytest.fixture
def service_server(tmp_path):
    path = tmp_path / "directory.toml"
    path.write_text(SERVICE_DIRECTORY)
    with EmulatorServer(ServerConfig(port=0, store=store_for(tmp_path, "s.sqlite3")), Directory.load(str(path))) as s:
        yield s


def bearer(server, token, body, header=""):
    r = requests.post(server.endpoint, data=envelope(body, header=header), timeout=10,
                      headers={"Content-Type": "text/xml", "Authorization": f"Bearer {token}"})
    return Answer(r.status_code, r.content, dict(r.headers))


def test_bearer_token_and_impersonation(service_server):
    alex = Soap(service_server.endpoint, "AlexW@contoso.com")
    alex.create_meeting("Lunch", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
    find_inbox = ('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
                  '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')
    as_adele = bearer(service_server, SERVICE_TOKEN, find_inbox, impersonating("AdeleV@contoso.com"))
    assert as_adele.status == 200
    assert [s.text for s in as_adele.xpath("//t:MeetingRequest/t:Subject")] == ["Lunch"]
    own = bearer(service_server, SERVICE_TOKEN, find_inbox)
    assert own.response_codes == ["NoError"] and own.xpath("//t:MeetingRequest") == []
    ghost = bearer(service_server, SERVICE_TOKEN, find_inbox, impersonating("ghost@contoso.com"))
    assert ghost.fault_code == "ErrorNonExistentMailbox"
    assert bearer(service_server, "wrong-token-0123456789", find_inbox).status == 401
    # A password account may not impersonate.
    assert alex.call(find_inbox, header=impersonating("AdeleV@contoso.com")).fault_code == \
        "ErrorImpersonateUserDenied"


@pytest.mark.parametrize("entry, expected", [
    ('smtp = "a@b.org"\ntoken = "short"', "at least 16 characters"),
    ('smtp = "a@b.org"\npassword = "x"\nimpersonation = "yes"', "'impersonation' must be true or false"),
])
def test_directory_checks_tokens_and_rights(tmp_path, entry, expected):
    path = tmp_path / "d.toml"
    path.write_text("[[mailbox]]\n" + entry + "\n")
    with pytest.raises(DirectoryError, match=expected):
        Directory.load(str(path))


def test_two_mailboxes_may_not_share_a_token(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text('[[mailbox]]\nsmtp = "a@b.org"\ntoken = "same-token-0123456789"\n'
                    '[[mailbox]]\nsmtp = "c@b.org"\ntoken = "same-token-0123456789"\n')
    with pytest.raises(DirectoryError, match="same 'token'"):
        Directory.load(str(path))


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
