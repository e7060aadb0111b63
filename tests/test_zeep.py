"""zeep, loading the project's own wsdl/, drives the workflow against the emulator; and
the schema check that guards every test's responses can itself fail."""

from __future__ import annotations

from datetime import UTC, datetime

import requests
import zeep
from lxml import etree
from zeep.plugins import HistoryPlugin
from zeep.transports import Transport

from ews_propose.resources import wsdl_dir

from .conftest import schema_errors
from .ews import NS, PASSWORDS

BINDING = "{http://schemas.microsoft.com/exchange/services/2006/messages}ExchangeServiceBinding"
HEADERS = {"RequestServerVersion": {"Version": "Exchange2013"}}
OPERATIONS = ["ConvertId", "CopyItem", "CreateAttachment", "CreateFolder", "CreateItem", "DeleteAttachment",
              "DeleteFolder", "DeleteItem", "EmptyFolder", "ExpandDL", "ExportItems", "FindFolder", "FindItem", "GetAttachment",
              "GetDelegate", "GetEvents", "GetFolder", "GetItem", "GetMailTips", "GetRoomLists", "GetRooms",
              "GetSearchableMailboxes", "GetServerTimeZones", "GetUserAvailability", "GetUserOofSettings",
              "MarkAsJunk", "MoveFolder", "MoveItem", "ResolveNames", "SendItem", "SetUserOofSettings",
              "Subscribe", "SyncFolderHierarchy", "SyncFolderItems", "Unsubscribe", "UpdateFolder", "UpdateItem",
              "UploadItems"]


def zeep_service(emulator, smtp):
    session = requests.Session()
    session.auth = (smtp, PASSWORDS[smtp])
    history = HistoryPlugin()
    client = zeep.Client(str(wsdl_dir() / "Services.wsdl"), transport=Transport(session=session),
                         plugins=[history])
    return client.create_service(BINDING, emulator.endpoint), history


def messages(result):
    return [next(iter(m.values())) for m in result.body.ResponseMessages._value_1]


def inbox(service, kind):
    (found,) = messages(service.FindItem(
        Traversal="Shallow", ItemShape={"BaseShape": "AllProperties"},
        IndexedPageItemView={"Offset": 0, "BasePoint": "Beginning", "MaxEntriesReturned": 50},
        ParentFolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "inbox"}}]}, _soapheaders=HEADERS))
    return [i[kind] for i in found.RootFolder.Items._value_1 if kind in i]


def test_zeep_drives_the_proposal_round_trip(emulator):
    alex, _ = zeep_service(emulator, "AlexW@contoso.com")
    adele, adele_history = zeep_service(emulator, "AdeleV@contoso.com")

    (created,) = messages(alex.CreateItem(
        SendMeetingInvitations="SendToAllAndSaveCopy",
        Items={"_value_1": [{"CalendarItem": {
            "Subject": "Lunch", "Start": "2026-12-01T12:00:00Z", "End": "2026-12-01T13:00:00Z",
            "RequiredAttendees": {"Attendee": [{"Mailbox": {"EmailAddress": "AdeleV@contoso.com"}}]},
            "AllowNewTimeProposal": True}}]},
        _soapheaders=HEADERS))
    assert created.ResponseClass == "Success"
    meeting_id = created.Items._value_1[0]["CalendarItem"].ItemId.Id

    (request,) = inbox(adele, "MeetingRequest")
    assert request.Subject == "Lunch" and request.AllowNewTimeProposal is True
    (got,) = messages(adele.GetItem(
        ItemShape={"BaseShape": "IdOnly",
                   "AdditionalProperties": {"_value_1": [{"FieldURI": {"FieldURI": "item:ResponseObjects"}}]}},
        ItemIds={"ItemId": [{"Id": request.ItemId.Id}]}, _soapheaders=HEADERS))
    # zeep maps the empty <t:ProposeNewTime/> to None: presence shows only in the XML.
    envelope = adele_history.last_received["envelope"]
    assert envelope.xpath("//t:ResponseObjects/t:ProposeNewTime", namespaces=NS)

    (replied,) = messages(adele.CreateItem(
        MessageDisposition="SendAndSaveCopy",
        Items={"_value_1": [{"TentativelyAcceptItem": {
            "ReferenceItemId": {"Id": request.ItemId.Id},
            "ProposedStart": "2026-12-02T12:00:00Z", "ProposedEnd": "2026-12-02T13:00:00Z"}}]},
        _soapheaders=HEADERS))
    assert [next(iter(i)) for i in replied.Items._value_1] == ["CalendarItem", "MeetingRequest"]

    (response,) = inbox(alex, "MeetingResponse")
    assert response.Subject == "New Time Proposed: Lunch"
    assert response.ProposedStart == datetime(2026, 12, 2, 12, tzinfo=UTC)
    assert response.AssociatedCalendarItemId.Id == meeting_id

    (meeting,) = messages(alex.GetItem(ItemShape={"BaseShape": "AllProperties"},
                                       ItemIds={"ItemId": [{"Id": meeting_id}]}, _soapheaders=HEADERS))
    item = meeting.Items._value_1[0]["CalendarItem"]
    assert item.RequiredAttendees.Attendee[0].ProposedEnd == datetime(2026, 12, 2, 13, tzinfo=UTC)
    (moved,) = messages(alex.UpdateItem(
        ConflictResolution="AutoResolve", SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy",
        ItemChanges={"ItemChange": [{"ItemId": {"Id": meeting_id, "ChangeKey": item.ItemId.ChangeKey},
                                     "Updates": {"_value_1": [
            {"SetItemField": {"FieldURI": {"FieldURI": "calendar:Start"},
                              "CalendarItem": {"Start": response.ProposedStart}}},
            {"SetItemField": {"FieldURI": {"FieldURI": "calendar:End"},
                              "CalendarItem": {"End": response.ProposedEnd}}}]}}]},
        _soapheaders=HEADERS))
    assert moved.ResponseCode == "NoError"
    (update,) = inbox(adele, "MeetingRequest")
    assert update.MeetingRequestType == "FullUpdate"


def test_zeep_loads_the_served_wsdl(emulator):
    session = requests.Session()
    session.auth = ("AlexW@contoso.com", PASSWORDS["AlexW@contoso.com"])
    client = zeep.Client(emulator.server.wsdl_url, transport=Transport(session=session))
    assert sorted(client.service._binding._operations) == OPERATIONS
    (inbox_folder,) = messages(client.service.GetFolder(
        FolderShape={"BaseShape": "Default"},
        FolderIds={"_value_1": [{"DistinguishedFolderId": {"Id": "inbox"}}]}, _soapheaders=HEADERS))
    assert inbox_folder.Folders._value_1[0]["Folder"].DisplayName == "Inbox"


def test_the_schema_check_rejects_a_misordered_item(alex):
    meeting_id, _ = alex.create_meeting("Lunch", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z", attendees=())
    answer = alex.get(meeting_id)
    assert schema_errors(answer.content) == []
    root = etree.fromstring(answer.content)
    item = root.find(".//t:CalendarItem", NS)
    start, end = item.find("t:Start", NS), item.find("t:End", NS)
    item.remove(start)
    end.addnext(start)  # End before Start
    assert schema_errors(etree.tostring(root))
