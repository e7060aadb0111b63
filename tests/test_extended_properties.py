"""Extended (MAPI) properties on the wire: by PropertyTag, by property set and name or
id, distinguished sets, arrays; stored, returned only when asked for, updated, deleted,
and usable in Restriction and SortOrder."""

from __future__ import annotations

TAG = '<t:ExtendedFieldURI PropertyTag="0x3FDE" PropertyType="Integer"/>'
NAMED = ('<t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="ticket" '
         'PropertyType="String"/>')
SAME_BY_GUID = ('<t:ExtendedFieldURI PropertySetId="00020329-0000-0000-C000-000000000046" PropertyName="ticket" '
                'PropertyType="String"/>')
ARRAY = ('<t:ExtendedFieldURI PropertySetId="deadbeef-cafe-cafe-cafe-deadbeefcafe" PropertyId="7" '
         'PropertyType="StringArray"/>')


def create(soap, subject, ticket, number, tags=("a", "b")):
    values = "".join(f"<t:Value>{t}</t:Value>" for t in tags)
    answer = soap.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
        f"<t:Subject>{subject}</t:Subject>"
        f"<t:ExtendedProperty>{TAG}<t:Value>{number}</t:Value></t:ExtendedProperty>"
        f"<t:ExtendedProperty>{NAMED}<t:Value>{ticket}</t:Value></t:ExtendedProperty>"
        f"<t:ExtendedProperty>{ARRAY}<t:Values>{values}</t:Values></t:ExtendedProperty>"
        "</t:Message></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    el = answer.first("//t:Message/t:ItemId")
    return el.get("Id"), el.get("ChangeKey")


def get(soap, item_id, *uris, base="IdOnly"):
    return soap.call(f"<m:GetItem><m:ItemShape><t:BaseShape>{base}</t:BaseShape><t:AdditionalProperties>"
                     + "".join(uris) + f'</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="{item_id}"/>'
                     "</m:ItemIds></m:GetItem>")


def test_properties_are_kept_and_returned_when_asked(alex):
    item_id, _ = create(alex, "one", "T-1", 42)
    answer = get(alex, item_id, TAG, SAME_BY_GUID, ARRAY)
    props = answer.xpath("//t:ExtendedProperty")
    assert [p.findtext("{*}Value") for p in props[:2]] == ["42", "T-1"]
    # The URI comes back as asked: the GUID spelling finds what was written by set name.
    assert props[1].find("{*}ExtendedFieldURI").get("PropertySetId") == "00020329-0000-0000-C000-000000000046"
    assert [v.text for v in props[2].findall("{*}Values/{*}Value")] == ["a", "b"]
    # Not part of AllProperties
    assert get(alex, item_id, '<t:FieldURI FieldURI="item:Subject"/>', base="AllProperties").xpath(
        "//t:ExtendedProperty") == []


def test_update_and_delete_one_property(alex):
    item_id, ck = create(alex, "two", "T-2", 7)
    answer = alex.call(
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges>'
        f'<t:ItemChange><t:ItemId Id="{item_id}" ChangeKey="{ck}"/><t:Updates>'
        f"<t:SetItemField>{TAG}<t:Message><t:ExtendedProperty>{TAG}<t:Value>8</t:Value></t:ExtendedProperty>"
        f"</t:Message></t:SetItemField><t:DeleteItemField>{NAMED}</t:DeleteItemField>"
        "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    props = get(alex, item_id, TAG, NAMED, ARRAY).xpath("//t:ExtendedProperty")
    assert [p.findtext("{*}Value") for p in props] == ["8", None]
    assert len(props) == 2


def test_restriction_and_sort_order_use_properties(alex):
    for subject, ticket, number in (("low", "T-9", 3), ("high", "T-8", 30), ("mid", "X-1", 12)):
        create(alex, subject, ticket, number)

    def find(restriction="", order=""):
        answer = alex.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
            + (f"<m:Restriction>{restriction}</m:Restriction>" if restriction else "")
            + (f"<m:SortOrder>{order}</m:SortOrder>" if order else "")
            + '<m:ParentFolderIds><t:DistinguishedFolderId Id="drafts"/></m:ParentFolderIds></m:FindItem>')
        assert answer.response_codes == ["NoError"], answer.content
        return [el.text for el in answer.xpath("//t:Message/t:Subject")]

    greater = (f"<t:IsGreaterThan>{TAG}<t:FieldURIOrConstant><t:Constant Value=\"10\"/></t:FieldURIOrConstant>"
               "</t:IsGreaterThan>")
    assert sorted(find(greater)) == ["high", "mid"]  # numbers compare as numbers, not text
    prefixed = (f'<t:Contains ContainmentMode="Prefixed" ContainmentComparison="Exact">{NAMED}'
                '<t:Constant Value="T-"/></t:Contains>')
    assert sorted(find(prefixed)) == ["high", "low"]
    assert find(order=f'<t:FieldOrder Order="Descending">{TAG}</t:FieldOrder>') == ["high", "mid", "low"]
    in_array = (f"<t:IsEqualTo>{ARRAY}<t:FieldURIOrConstant><t:Constant Value=\"b\"/></t:FieldURIOrConstant>"
                "</t:IsEqualTo>")
    assert len(find(in_array)) == 3


def test_a_bad_property_path_is_refused(alex):
    answer = alex.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:ExtendedProperty>'
        '<t:ExtendedFieldURI PropertyTag="0x3FDE" PropertyType="Integer"/><t:Values><t:Value>1</t:Value></t:Values>'
        "</t:ExtendedProperty></t:Message></m:Items></m:CreateItem>")
    assert answer.response_codes == ["ErrorInvalidExtendedPropertyValue"], answer.content
