"""FindItem restrictions and sort orders, through exchangelib's filter() and order_by()
and as raw SOAP."""

from __future__ import annotations

import datetime as dt

from exchangelib import EWSDateTime, EWSTimeZone
from exchangelib.items import MeetingRequest

from .test_exchangelib_roundtrip import account

UTC = EWSTimeZone("UTC")
DAY = ("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")


def test_exchangelib_filter_and_order_by(emulator, alex):
    for n, hour in enumerate((15, 9, 12)):
        alex.create_meeting(f"Meeting {n}", f"2026-12-01T{hour:02d}:00:00Z", f"2026-12-01T{hour:02d}:30:00Z")
    adele = account(emulator, "AdeleV@contoso.com")

    by_start = [i.subject for i in adele.calendar.all().order_by("start")]
    assert by_start == ["Meeting 1", "Meeting 2", "Meeting 0"]
    newest_first = [i.subject for i in adele.calendar.all().order_by("-start")]
    assert newest_first == ["Meeting 0", "Meeting 2", "Meeting 1"]

    requests = adele.inbox.filter(subject="Meeting 2")
    assert [type(r) for r in requests] == [MeetingRequest]
    afternoon = adele.calendar.filter(start__gte=EWSDateTime(2026, 12, 1, 12, tzinfo=UTC))
    assert sorted(i.subject for i in afternoon) == ["Meeting 0", "Meeting 2"]
    assert adele.inbox.filter(subject__contains="eeting").count() == 3

    view = adele.calendar.view(start=EWSDateTime(2026, 12, 1, 11, tzinfo=UTC),
                               end=EWSDateTime(2026, 12, 1, 11, tzinfo=UTC) + dt.timedelta(hours=3))
    assert [i.subject for i in view] == ["Meeting 2"]


def test_raw_restriction_with_paging(alex, adele):
    for n in range(4):
        alex.create_meeting(f"Lunch {n}", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
    alex.create_meeting("Standup", "2026-12-01T09:00:00Z", "2026-12-01T09:15:00Z")
    answer = adele.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
        '<t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape>'
        '<m:IndexedPageItemView MaxEntriesReturned="2" Offset="1" BasePoint="Beginning"/>'
        '<m:Restriction><t:Contains ContainmentMode="Prefixed" ContainmentComparison="IgnoreCase">'
        '<t:FieldURI FieldURI="item:Subject"/><t:Constant Value="lunch"/></t:Contains></m:Restriction>'
        '<m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:Subject"/></t:FieldOrder>'
        '</m:SortOrder><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')
    root = answer.first("//m:RootFolder")
    assert root.get("TotalItemsInView") == "4"
    assert [s.text for s in answer.xpath("//t:Subject")] == ["Lunch 1", "Lunch 2"]


def test_unsupported_queries_are_named(adele):
    def find(query):
        return adele.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
            f'{query}<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')

    odd_field = find('<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:Flag"/><t:FieldURIOrConstant>'
                     '<t:Constant Value="x"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>')
    assert odd_field.response_codes == ["ErrorUnsupportedPathForQuery"]
    assert "item:Flag" in odd_field.text("//m:MessageText")


def test_query_string_is_a_subset_of_aqs(adele):
    for subject, body, category in (("Lunch plans", "pizza on friday", ""), ("lunch-menu", "soup", ""),
                                    ("Budget review", "numbers", "Finance")):
        cats = f"<t:Categories><t:String>{category}</t:String></t:Categories>" if category else ""
        created = adele.call(
            '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
            f'<t:Subject>{subject}</t:Subject><t:Body BodyType="Text">{body}</t:Body>{cats}'
            "</t:Message></m:Items></m:CreateItem>")
        assert created.response_codes == ["NoError"], created.content

    def subjects(query):
        answer = adele.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
            '<m:ParentFolderIds><t:DistinguishedFolderId Id="drafts"/></m:ParentFolderIds>'
            f"<m:QueryString>{query}</m:QueryString></m:FindItem>")
        assert answer.response_codes == ["NoError"], answer.content
        return sorted(el.text for el in answer.xpath("//t:Items/*/t:Subject"))

    assert subjects("subject:lunch") == ["Lunch plans", "lunch-menu"]
    assert subjects('subject:"lunch plans"') == ["Lunch plans"]
    assert subjects("lunch AND NOT pizza") == ["lunch-menu"]
    assert subjects("category:finance OR body:soup") == ["Budget review", "lunch-menu"]
    assert subjects("(menu OR review) fri") == []
    assert subjects("piz fri") == ["Lunch plans"]  # each word begins a word of the item
    broken = adele.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="drafts"/></m:ParentFolderIds>'
        "<m:QueryString>(subject:lunch</m:QueryString></m:FindItem>")
    assert broken.response_codes == ["ErrorInvalidArgument"]


def test_calendar_fields_kept_as_written_are_searchable(alex):
    created = alex.call(
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem><t:Subject>Broadcast</t:Subject>'
        "<t:Start>2030-01-02T10:00:00Z</t:Start><t:End>2030-01-02T11:00:00Z</t:End><t:Location>Hall</t:Location>"
        "<t:When>Thursday morning</t:When><t:ConferenceType>1</t:ConferenceType>"
        "<t:NetShowUrl>http://show.contoso.com/1</t:NetShowUrl></t:CalendarItem></m:Items></m:CreateItem>")
    assert created.response_codes == ["NoError"], created.content
    item_id = created.first("//t:CalendarItem/t:ItemId").get("Id")
    got = alex.get(item_id, "AllProperties")
    assert got.first("//t:CalendarItem/t:When").text == "Thursday morning"
    assert got.first("//t:CalendarItem/t:ConferenceType").text == "1"
    assert got.first("//t:CalendarItem/t:NetShowUrl").text == "http://show.contoso.com/1"
    assert got.xpath("//t:CalendarItem/t:MeetingWorkspaceUrl") == []

    def found(uri, value):
        answer = alex.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
            f'<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="{uri}"/><t:FieldURIOrConstant>'
            f'<t:Constant Value="{value}"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>'
            '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
        assert answer.response_codes == ["NoError"], answer.content
        return answer.first("//m:RootFolder").get("TotalItemsInView")

    assert found("calendar:When", "Thursday morning") == "1"
    assert found("calendar:ConferenceType", "1") == "1" and found("calendar:ConferenceType", "2") == "0"
    changed = alex.call(
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone">'
        f'<m:ItemChanges><t:ItemChange><t:ItemId Id="{item_id}"/><t:Updates><t:SetItemField>'
        '<t:FieldURI FieldURI="calendar:When"/><t:CalendarItem><t:When>Friday</t:When></t:CalendarItem>'
        "</t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>")
    assert changed.response_codes == ["NoError"], changed.content
    assert found("calendar:When", "Friday") == "1"
    bad = alex.call(
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem><t:Subject>X</t:Subject>'
        "<t:Start>2030-01-02T10:00:00Z</t:Start><t:End>2030-01-02T11:00:00Z</t:End>"
        "<t:ConferenceType>7</t:ConferenceType></t:CalendarItem></m:Items></m:CreateItem>")
    assert bad.status == 500 and b"ErrorSchemaValidation" in bad.content
