"""Auth beyond tests/test_auth.py: passwords and tokens never reach the server's output;
another mailbox's ids get byte for byte the answer a missing id gets, in every
operation that takes an id; impersonation rights are checked for every operation;
credentials are compared in constant time even for unknown users."""

from __future__ import annotations

import base64
import hmac

import pytest
import requests

from ews_propose import directory as directory_module
from ews_propose.directory import Directory, Mailbox
from ews_propose.rules import ids

from .ews import UTC_ZONE, Answer, Soap, envelope
from .server_process import ServerProcess
from .stores import store_for

LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
PROPOSAL = ("2026-12-02T12:00:00Z", "2026-12-02T13:00:00Z")
SECRETS = {"pat": "pat-Secret-Pw-7c1e", "sam": "sam-Secret-Pw-90ab", "token": "svc-Secret-Token-4d2f9a0b"}
DIRECTORY = f"""
[[mailbox]]
smtp = "pat@example.org"
name = "Pat"
password = "{SECRETS['pat']}"

[[mailbox]]
smtp = "sam@example.org"
name = "Sam"
password = "{SECRETS['sam']}"

[[mailbox]]
smtp = "svc@example.org"
name = "Service"
token = "{SECRETS['token']}"
impersonation = true
"""
DEBUG_SERVER = """
import logging, sys
from ews_propose.cli import main
import ews_propose.server  # it quiets spyne; turn everything back up
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
logging.getLogger("spyne").setLevel(logging.DEBUG)
sys.exit(main(["serve", "--port", "0", *sys.argv[1:]]))
"""
GET_INBOX = ('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
             '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def a_session_with_wrong_and_right_credentials(endpoint: str) -> None:
    wrong = [
        basic("pat@example.org", SECRETS["sam"]),            # another user's password
        basic("pat@example.org", SECRETS["pat"] + "x"),      # almost right
        basic("nobody@example.org", SECRETS["pat"]),         # unknown user
        basic("EXAMPLE\\pat", SECRETS["pat"].upper()),
        "Basic " + base64.b64encode(b"\xff\xfe" + SECRETS["pat"].encode()).decode(),  # not UTF-8
        "Basic !!" + SECRETS["pat"],                         # not base64
        "Basic \u00a1" + SECRETS["pat"],                     # not even ASCII
        f"Bearer {SECRETS['token']}-wrong",
        f"Bearer {SECRETS['pat']}",                          # a password as a token
        f"Digest {SECRETS['pat']}",
    ]
    right = [basic("pat@example.org", SECRETS["pat"]), basic("sam", SECRETS["sam"]), f"Bearer {SECRETS['token']}"]
    for auth in wrong + right:
        for body in (GET_INBOX, "<m:Nonsense/>", "<m:GetItem/>"):
            r = requests.post(endpoint, data=envelope(body), timeout=10,
                              headers={"Content-Type": "text/xml", "Authorization": auth})
            expected = (401,) if auth in wrong else (200,) if body == GET_INBOX else (500,)
            assert r.status_code in expected, (auth, body, r.status_code)
            for secret in SECRETS.values():
                assert secret.encode() not in r.content
    # A body that is not XML, from a signed-in user.
    r = requests.post(endpoint, data=b"\x00" + SECRETS["pat"].encode(), timeout=10,
                      headers={"Content-Type": "text/xml", "Authorization": basic("pat@example.org", SECRETS["pat"])})
    assert r.status_code == 500 and SECRETS["pat"].encode() not in r.content


@pytest.mark.parametrize("debug_logging", [False, True], ids=["serve", "serve-with-DEBUG-logging"])
def test_no_password_or_token_reaches_the_server_output(tmp_path, debug_logging):
    path = tmp_path / "directory.toml"
    path.write_text(DIRECTORY)
    args = ("--store", store_for(tmp_path, "s.sqlite3"), "--directory", str(path))
    server = ServerProcess(*args, python_code=DEBUG_SERVER) if debug_logging else ServerProcess(*args)
    try:
        a_session_with_wrong_and_right_credentials(server.endpoint)
    finally:
        server.stop()
    output = server.output + server.errors
    if debug_logging:
        assert "DEBUG" in output  # the logging really was on
    for secret in SECRETS.values():
        assert secret not in output
        assert base64.b64encode(secret.encode()).decode() not in output


# --- another mailbox's ids --------------------------------------------------------


@pytest.fixture
def alexs_ids(emulator, alex, adele):
    """Ids that exist only in Alex's mailbox: his meeting, a MeetingResponse in his
    Inbox, his sent request, his folders."""
    meeting_id, change_key = alex.create_meeting("Board lunch", *LUNCH, attendees=("MeganB@contoso.com",))
    megan = emulator.soap("MeganB@contoso.com")
    ((request_id, _),) = megan.find_ids("inbox", "MeetingRequest")
    assert megan.reply(request_id, proposed=PROPOSAL).response_codes == ["NoError"]
    ((response_id, _),) = alex.find_ids("inbox", "MeetingResponse")
    ((sent_id, _),) = alex.find_ids("sentitems", "MeetingRequest")
    return {"meeting": meeting_id, "change_key": change_key, "response": response_id, "sent": sent_id,
            "calendar_folder": ids.folder_id("AlexW@contoso.com", "calendar"),
            "inbox_folder": ids.folder_id("AlexW@contoso.com", "inbox")}


ITEM_OPERATIONS = {
    "GetItem": '<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>'
               '<m:ItemIds><t:ItemId Id="{id}"/></m:ItemIds></m:GetItem>',
    "GetItem-with-ChangeKey": '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
                              '<m:ItemIds><t:ItemId Id="{id}" ChangeKey="{ck}"/></m:ItemIds></m:GetItem>',
    "UpdateItem": '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
                  'SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges><t:ItemChange>'
                  '<t:ItemId Id="{id}" ChangeKey="{ck}"/><t:Updates><t:SetItemField>'
                  '<t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>Mine now</t:Subject>'
                  '</t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>',
    "UpdateItem-stale-ChangeKey": '<m:UpdateItem ConflictResolution="NeverOverwrite" '
                                  'SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges>'
                                  '<t:ItemChange><t:ItemId Id="{id}" ChangeKey="CQAAABYAstale"/><t:Updates>'
                                  '<t:SetItemField><t:FieldURI FieldURI="calendar:AllowNewTimeProposal"/>'
                                  '<t:CalendarItem><t:AllowNewTimeProposal>false</t:AllowNewTimeProposal>'
                                  '</t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges>'
                                  '</m:UpdateItem>',
    "DeleteItem-hard": '<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToAllAndSaveCopy">'
                       '<m:ItemIds><t:ItemId Id="{id}"/></m:ItemIds></m:DeleteItem>',
    "DeleteItem-move": '<m:DeleteItem DeleteType="MoveToDeletedItems"><m:ItemIds><t:ItemId Id="{id}"/>'
                       '</m:ItemIds></m:DeleteItem>',
    "AcceptItem": '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:AcceptItem>'
                  '<t:ReferenceItemId Id="{id}"/></t:AcceptItem></m:Items></m:CreateItem>',
    "TentativelyAcceptItem-proposal": '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>'
                                      '<t:TentativelyAcceptItem><t:ReferenceItemId Id="{id}"/>'
                                      f"<t:ProposedStart>{PROPOSAL[0]}</t:ProposedStart>"
                                      f"<t:ProposedEnd>{PROPOSAL[1]}</t:ProposedEnd>"
                                      '</t:TentativelyAcceptItem></m:Items></m:CreateItem>',
    "DeclineItem-save-only": '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:DeclineItem>'
                             '<t:ReferenceItemId Id="{id}"/></t:DeclineItem></m:Items></m:CreateItem>',
    "ConvertId": '<m:ConvertId DestinationFormat="EwsId"><m:SourceIds>'
                 '<t:AlternateId Format="EwsId" Id="{id}" Mailbox="AdeleV@contoso.com"/>'
                 '</m:SourceIds></m:ConvertId>',
}
FOLDER_OPERATIONS = {
    "GetFolder": '<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape>'
                 '<m:FolderIds><t:FolderId Id="{id}"/></m:FolderIds></m:GetFolder>',
    "FindItem": '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
                '<m:ParentFolderIds><t:FolderId Id="{id}"/></m:ParentFolderIds></m:FindItem>',
    "FindItem-CalendarView": '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape>'
                             '</m:ItemShape><m:CalendarView StartDate="2026-11-01T00:00:00Z" '
                             'EndDate="2026-12-31T00:00:00Z"/><m:ParentFolderIds><t:FolderId Id="{id}"/>'
                             '</m:ParentFolderIds></m:FindItem>',
    "CreateItem-SavedItemFolderId": '<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId>'
                                    '<t:FolderId Id="{id}"/></m:SavedItemFolderId><m:Items><t:Message>'
                                    '<t:Subject>planted</t:Subject></t:Message></m:Items></m:CreateItem>',
}


def same_answer(adele: Soap, template: str, theirs: str, missing: str, change_key: str) -> tuple[Answer, Answer]:
    a = adele.call(template.format(id=theirs, ck=change_key))
    b = adele.call(template.format(id=missing, ck=change_key))
    assert a.status == b.status
    assert a.content.replace(theirs.encode(), b"ID") == b.content.replace(missing.encode(), b"ID")
    return a, b


@pytest.mark.parametrize("which", ["meeting", "response", "sent"])
@pytest.mark.parametrize("operation", sorted(ITEM_OPERATIONS))
def test_another_mailboxs_item_id_is_answered_like_a_missing_one(alex, adele, alexs_ids, operation, which):
    before = alex.get(alexs_ids[which]).content
    theirs, _ = same_answer(adele, ITEM_OPERATIONS[operation], alexs_ids[which], ids.new_item_id(),
                            alexs_ids["change_key"])
    if operation != "ConvertId":  # ConvertId echoes an id in the caller's own mailbox
        assert theirs.response_codes == ["ErrorItemNotFound"], theirs.content
    assert b"Board lunch" not in theirs.content and b"MeganB" not in theirs.content
    assert alex.get(alexs_ids[which]).content == before  # untouched
    assert adele.find_ids("sentitems") == [] and adele.find_ids("drafts") == []


@pytest.mark.parametrize("which", ["calendar_folder", "inbox_folder"])
@pytest.mark.parametrize("operation", sorted(FOLDER_OPERATIONS))
def test_another_mailboxs_folder_id_is_answered_like_a_missing_one(alex, adele, alexs_ids, operation, which):
    theirs, _ = same_answer(adele, FOLDER_OPERATIONS[operation], alexs_ids[which],
                            ids.folder_id("ghost@contoso.com", "calendar"), "")
    assert theirs.response_codes == ["ErrorFolderNotFound"], theirs.content
    assert b"Board lunch" not in theirs.content
    assert all(s.text != "planted" for s in alex.get(alexs_ids["meeting"]).xpath("//t:Subject"))


# --- impersonation for every operation -------------------------------------------

EVERY_OPERATION = {
    "GetFolder": '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
                 '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>',
    "FindItem": GET_INBOX,
    "GetItem": ITEM_OPERATIONS["GetItem"],
    "CreateItem": '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>x</t:Subject>'
                  '</t:Message></m:Items></m:CreateItem>',
    "AcceptItem": ITEM_OPERATIONS["AcceptItem"],
    "UpdateItem": ITEM_OPERATIONS["UpdateItem"],
    "DeleteItem": ITEM_OPERATIONS["DeleteItem-hard"],
    "ConvertId": ITEM_OPERATIONS["ConvertId"],
    "GetUserAvailabilityRequest": f"<m:GetUserAvailabilityRequest>{UTC_ZONE}"
                                  "<m:MailboxDataArray><t:MailboxData><t:Email><t:Address>AlexW@contoso.com"
                                  "</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType>"
                                  "</t:MailboxData></m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow>"
                                  "<t:StartTime>2026-12-01T00:00:00</t:StartTime><t:EndTime>2026-12-02T00:00:00"
                                  "</t:EndTime></t:TimeWindow><t:RequestedView>FreeBusy</t:RequestedView>"
                                  "</t:FreeBusyViewOptions></m:GetUserAvailabilityRequest>",
    "GetServerTimeZones": "<m:GetServerTimeZones><m:Ids><t:Id>UTC</t:Id></m:Ids></m:GetServerTimeZones>",
}


def impersonating(smtp: str) -> str:
    return ("<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
            f"{smtp}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>")


@pytest.mark.parametrize("operation", sorted(EVERY_OPERATION))
def test_impersonation_is_checked_by_every_operation(alex, adele, operation):
    meeting_id, change_key = alex.create_meeting("Lunch", *LUNCH, attendees=())
    body = EVERY_OPERATION[operation].format(id=meeting_id, ck=change_key)
    denied = adele.call(body, header=impersonating("AlexW@contoso.com"))
    assert (denied.status, denied.fault_code) == (500, "ErrorImpersonateUserDenied")
    assert b"Lunch" not in denied.content
    assert alex.get(meeting_id).text("//t:Subject") == "Lunch"  # nothing happened as Alex


def test_constant_time_comparison_even_for_unknown_users(monkeypatch):
    calls: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def counting(a, b):
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(directory_module.hmac, "compare_digest", counting)
    directory = Directory.demo()
    assert directory.authenticate("ghost@contoso.com", "guess") is None
    assert directory.authenticate("AlexW", "wrong") is None
    assert directory.authenticate("AlexW", "alex-demo-pw").smtp == "AlexW@contoso.com"
    assert len(calls) == 3  # one comparison each, found user or not
    calls.clear()
    tokens = Directory([Mailbox(f"svc{i}@example.org", "Service", None, token=f"token-{i}-0123456789abcdef")
                        for i in range(3)])
    assert tokens.authenticate_token("token-1-0123456789abcdef").smtp == "svc1@example.org"
    assert tokens.authenticate_token("no-such-token-0123456789") is None
    assert len(calls) == 6  # every token, every time: where a match is does not show in timing
