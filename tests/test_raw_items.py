"""Item text goes into GetItem and FindItem answers as it is (soap/raw.py), not parsed and
serialized by lxml: it must be byte for byte what lxml writes for it. Checked for every
item a varied workload leaves in the mailboxes (meetings, proposals, a series, messages
with awkward text, attachments, extended properties), in every shape, at two versions."""

from __future__ import annotations

from lxml import etree

from ews_propose.soap.items.fields import FIELDS
from ews_propose.soap.items.shapes import Shape
from ews_propose.soap.items.text import Reader, _writers, item_element, item_text, items_text
from ews_propose.soap.items.vocabulary import ITEM_ELEMENTS
from ews_propose.soap.xml import TYPES_NS

AWKWARD = "a\r\nb\rc & <d> \"q\" 'p' \t é 😀 ]]>"
AWKWARD_XML = AWKWARD.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
# (a subject with a line end breaks MimeContent: email headers cannot carry one)
SUBJECT_XML = AWKWARD_XML.replace("&#13;", "").replace("\n", "")


def _workload(alex, adele) -> None:
    meeting, _ = alex.create_meeting("Plan", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
    request = next(i for i, _ in adele.find_ids("inbox", "MeetingRequest"))
    adele.reply(request, "TentativelyAcceptItem", proposed=("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z"))
    alex.create_meeting("", "2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z", attendees=())
    answer = alex.call(
        '<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:Items><t:CalendarItem>'
        "<t:Subject>Weekly</t:Subject><t:Start>2026-12-07T09:00:00Z</t:Start><t:End>2026-12-07T09:30:00Z</t:End>"
        "<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>AdeleV@contoso.com</t:EmailAddress>"
        "</t:Mailbox></t:Attendee></t:RequiredAttendees>"
        "<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek>"
        "</t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>2026-12-07</t:StartDate>"
        "<t:NumberOfOccurrences>4</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>"
        "</t:CalendarItem></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    answer = alex.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
        f'<t:Subject>{SUBJECT_XML}</t:Subject><t:Body BodyType="Text">{AWKWARD_XML}</t:Body>'
        "<t:Categories><t:String></t:String><t:String>x</t:String></t:Categories>"
        '<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x3A45" PropertyType="String"/>'
        f"<t:Value>{AWKWARD_XML}</t:Value></t:ExtendedProperty>"
        '<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x3A46" PropertyType="String"/>'
        "<t:Value></t:Value></t:ExtendedProperty>"
        "<t:ToRecipients><t:Mailbox><t:Name></t:Name><t:EmailAddress>AdeleV@contoso.com</t:EmailAddress>"
        "</t:Mailbox></t:ToRecipients></t:Message></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    message = answer.first("//t:Message/t:ItemId").get("Id")
    answer = alex.call(
        f'<m:CreateAttachment><m:ParentItemId Id="{message}"/><m:Attachments><t:FileAttachment>'
        f"<t:Name>{AWKWARD_XML}</t:Name><t:Content>aGVsbG8=</t:Content></t:FileAttachment>"
        "</m:Attachments></m:CreateAttachment>")
    assert answer.response_codes == ["NoError"], answer.content
    answer = alex.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>plain</t:Subject>'
        '<t:Body BodyType="HTML"></t:Body></t:Message></m:Items></m:CreateItem>')
    assert answer.response_codes == ["NoError"], answer.content


    for alone in ("one < only", "one > only", "one & only", "one \r only", '"q"', ""):
        # each character that needs escaping on its own, so no other one brings the escaping in
        text = alone.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
        answer = alex.call(
            '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>'
            f"<t:Subject>{text.replace('&#13;', '')}</t:Subject><t:Start>2026-12-08T09:00:00Z</t:Start>"
            f"<t:End>2026-12-08T09:30:00Z</t:End><t:Location>{text}</t:Location>"
            "</t:CalendarItem></m:Items></m:CreateItem>")
        assert answer.response_codes == ["NoError"], answer.content


def _reference_text(item, shape, reader) -> str:
    """The item written by its writers one call at a time, as each is defined (the plan
    ``item_text`` runs has the simple ones' bodies compiled into one function)."""
    name = ITEM_ELEMENTS[item.kind]
    out = [f"<t:{name}>"]
    for write in _writers(item.kind, shape, reader.open_features, reader.schema):
        write(out, item, reader)
    return "".join(out) + f"</t:{name}>"


def _lxml_bytes(text: str) -> str:
    """What lxml writes for ``text`` inside an answer declaring ``t:``."""
    end = text.index(">")
    el = etree.fromstring(text[:end] + f' xmlns:t="{TYPES_NS}"' + text[end:])
    return etree.tostring(el, encoding="unicode").replace(f' xmlns:t="{TYPES_NS}"', "", 1)


def test_item_text_is_what_lxml_writes(emulator, alex, adele):
    _workload(alex, adele)
    rules = emulator.server.app.rules
    extended = (("tag:0x3A45", (("PropertyTag", "0x3A45"), ("PropertyType", "String"))),
                ("tag:0x3A46", (("PropertyTag", "0x3A46"), ("PropertyType", "String"))))
    shapes = [Shape("IdOnly"), Shape("Default"), Shape("AllProperties"),
              Shape("AllProperties", frozenset(FIELDS) | {"item:MimeContent"}, extended)]
    checked = 0
    for soap in (alex, adele):
        for folder in ("inbox", "calendar", "sentitems", "drafts"):
            ids = [i for i, _ in soap.find_ids(folder)]
            items = [i for i in rules.get_items(soap.user, ids) if not isinstance(i, Exception)]
            for schema in ("Exchange2010_SP2", "Exchange2016"):
                reader = Reader(soap.user, emulator.server.app.build, schema,
                                lambda item, who=soap.user: rules.actions(who, item, True))
                for shape in shapes:
                    for item in items:
                        text = item_text(item, shape, reader)
                        assert text == _lxml_bytes(text), (item.kind, shape.base, schema)
                        assert text == _reference_text(item, shape, reader), (item.kind, shape.base, schema)
                        assert etree.tostring(item_element(item, shape, reader), encoding="unicode").replace(
                            f' xmlns:t="{TYPES_NS}"', "", 1) == text
                        checked += 1
                    if items:
                        many = items_text(items, shape, reader)
                        assert many == _lxml_bytes(many)
    assert checked > 80


def test_attribute_text_keeps_line_ends_and_tabs(alex):
    # A named property's name is the client's text in an attribute: line ends and tabs in it
    # go out as character references, so a parser reads back what the client sent.
    name = "line\nnext\tcol\rend \"q\""
    uri = ('<t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" '
           'PropertyName="line&#10;next&#9;col&#13;end &quot;q&quot;" PropertyType="String"/>')
    answer = alex.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>named</t:Subject>'
        f"<t:ExtendedProperty>{uri}<t:Value>v</t:Value></t:ExtendedProperty>"
        "</t:Message></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    item_id = answer.first("//t:Message/t:ItemId").get("Id")
    for shape in ("IdOnly", "Default"):
        got = alex.call(
            f"<m:GetItem><m:ItemShape><t:BaseShape>{shape}</t:BaseShape><t:AdditionalProperties>{uri}"
            f'</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>')
        assert got.response_codes == ["NoError"], got.content
        assert got.first("//t:ExtendedProperty/t:ExtendedFieldURI").get("PropertyName") == name
        assert got.first("//t:ExtendedProperty/t:Value").text == "v"
