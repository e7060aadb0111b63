"""Attachments on the wire: inline in CreateItem, CreateAttachment, GetAttachment with
content, DeleteAttachment; HasAttachments; ids that name their item."""

from __future__ import annotations

import base64

CONTENT = base64.b64encode("Grüße, lunch menu".encode()).decode()


def create_with_attachment(soap) -> tuple[str, str]:
    answer = soap.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>With file</t:Subject>'
        '<t:Attachments><t:FileAttachment><t:Name>menu.txt</t:Name><t:ContentType>text/plain</t:ContentType>'
        f"<t:Content>{CONTENT}</t:Content></t:FileAttachment></t:Attachments></t:Message></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    return (answer.first("//t:Message/t:ItemId").get("Id"),
            answer.first("//t:Message/t:Attachments/t:FileAttachment/t:AttachmentId").get("Id"))


def get_attachment(soap, att_id):
    return soap.call(f'<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="{att_id}"/></m:AttachmentIds>'
                     "</m:GetAttachment>")


def test_inline_file_attachment_round_trip(alex, adele):
    item_id, att_id = create_with_attachment(alex)
    got = alex.get(item_id, "Default")
    assert got.first("//t:Message/t:HasAttachments").text == "true"
    meta = got.first("//t:Message/t:Attachments/t:FileAttachment")
    assert meta.findtext("{*}Name") == "menu.txt" and meta.find("{*}Content") is None
    fetched = get_attachment(alex, att_id)
    assert fetched.response_codes == ["NoError"], fetched.content
    assert base64.b64decode(fetched.first("//t:FileAttachment/t:Content").text).decode() == "Grüße, lunch menu"
    assert fetched.first("//t:FileAttachment/t:AttachmentId").get("RootItemId") == item_id
    # Another mailbox cannot read it
    assert get_attachment(adele, att_id).response_codes == ["ErrorInvalidAttachmentId"]
    assert get_attachment(alex, "AAMk=").response_codes == ["ErrorInvalidIdMalformed"]


def test_create_and_delete_attachments(alex):
    item_id, first = create_with_attachment(alex)
    added = alex.call(
        f'<m:CreateAttachment><m:ParentItemId Id="{item_id}"/><m:Attachments>'
        "<t:ItemAttachment><t:Name>forwarded</t:Name><t:Message><t:Subject>Inner</t:Subject>"
        '<t:Body BodyType="Text">inside</t:Body></t:Message></t:ItemAttachment>'
        "</m:Attachments></m:CreateAttachment>")
    assert added.response_codes == ["NoError"], added.content
    second = added.first("//t:ItemAttachment/t:AttachmentId").get("Id")
    inner = get_attachment(alex, second)
    assert inner.first("//t:ItemAttachment/t:Message/t:Subject").text == "Inner"
    assert inner.first("//t:ItemAttachment/t:Message/t:Body").text == "inside"
    assert len(alex.get(item_id).xpath("//t:Message/t:Attachments/*")) == 2
    deleted = alex.call(f'<m:DeleteAttachment><m:AttachmentIds><t:AttachmentId Id="{first}"/>'
                        "</m:AttachmentIds></m:DeleteAttachment>")
    assert deleted.response_codes == ["NoError"], deleted.content
    assert deleted.first("//m:RootItemId").get("RootItemId") == item_id
    assert get_attachment(alex, first).response_codes == ["ErrorInvalidAttachmentId"]
    assert [el.findtext("{*}Name") for el in alex.get(item_id).xpath("//t:Message/t:Attachments/*")] == [
        "forwarded"]


def test_attachments_of_attached_items_are_reached_through_their_parents(alex):
    inner = ('<t:ItemAttachment><t:Name>level 2</t:Name><t:Message><t:Subject>Deepest</t:Subject>'
             '<t:Attachments><t:FileAttachment><t:Name>menu.txt</t:Name>'
             f"<t:Content>{CONTENT}</t:Content></t:FileAttachment></t:Attachments></t:Message></t:ItemAttachment>")
    answer = alex.call(
        '<m:CreateItem><m:SavedItemFolderId><t:DistinguishedFolderId Id="inbox"/></m:SavedItemFolderId>'
        '<m:Items><t:Item><t:Subject>Outer</t:Subject><t:Attachments><t:ItemAttachment><t:Name>level 1</t:Name>'
        f"<t:Item><t:Subject>Middle</t:Subject><t:Attachments>{inner}</t:Attachments><t:Culture>da-DK</t:Culture>"
        "</t:Item></t:ItemAttachment></t:Attachments></t:Item></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    level1 = answer.first("//t:Item/t:Attachments/t:ItemAttachment/t:AttachmentId").get("Id")
    middle = get_attachment(alex, level1)
    assert middle.first("//t:ItemAttachment/t:Item/t:Subject").text == "Middle"
    assert middle.first("//t:ItemAttachment/t:Item/t:Culture").text == "da-DK"
    assert middle.first("//t:ItemAttachment/t:Item/t:HasAttachments").text == "true"
    level2 = middle.first("//t:ItemAttachment/t:Item/t:Attachments/t:ItemAttachment/t:AttachmentId")
    deepest = get_attachment(alex, level2.get("Id"))
    assert deepest.first("//t:ItemAttachment/t:Message/t:Subject").text == "Deepest"
    assert deepest.first("//t:ItemAttachment/t:AttachmentId").get("RootItemId") == level2.get("RootItemId")
    file_id = deepest.first("//t:Message/t:Attachments/t:FileAttachment/t:AttachmentId").get("Id")
    content = get_attachment(alex, file_id).first("//t:FileAttachment/t:Content").text
    assert base64.b64decode(content).decode() == "Grüße, lunch menu"
    # a path through an attachment that is not there
    assert get_attachment(alex, file_id[:-4] + "AAA=").response_codes != ["NoError"]
