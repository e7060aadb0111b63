"""CalendarView edges as Exchange counts them, and no Restriction with a view."""

from __future__ import annotations


def view(soap, start, end, restriction=""):
    return soap.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        f'<m:CalendarView StartDate="{start}" EndDate="{end}"/>{restriction}'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')


def test_an_item_ending_at_the_views_start_is_in_it(alex):
    alex.create_meeting("First", "2026-01-01T08:00:00Z", "2026-01-01T10:00:00Z", attendees=(), send="SendToNone")
    alex.create_meeting("Second", "2026-02-01T08:00:00Z", "2026-02-01T10:00:00Z", attendees=(), send="SendToNone")

    def subjects(start, end):
        answer = view(alex, start, end)
        assert answer.response_codes == ["NoError"], answer.content
        return [el.text for el in answer.xpath("//t:CalendarItem/t:Subject")]

    assert subjects("2026-01-01T10:00:00Z", "2026-02-01T08:00:00Z") == ["First"]
    assert subjects("2026-01-01T08:00:00Z", "2026-02-01T08:00:00Z") == ["First"]
    assert subjects("2026-01-01T08:00:00Z", "2026-02-01T10:00:00Z") == ["First", "Second"]


def test_a_restriction_with_a_calendar_view_is_refused(alex):
    restriction = ('<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:Subject"/><t:FieldURIOrConstant>'
                   '<t:Constant Value="x"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>')
    answer = view(alex, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", restriction)
    assert answer.response_codes == ["ErrorInvalidOperation"]
