"""Items beyond the meeting round trip, on the wire: generic items, MoveItem / CopyItem,
SendItem of a saved draft, ReplyToItem / ReplyAllToItem / ForwardItem in CreateItem,
and one copy per mailbox however often a recipient is named."""

from __future__ import annotations

ALEX, ADELE, MEGAN = "AlexW@contoso.com", "AdeleV@contoso.com", "MeganB@contoso.com"


def mailboxes(kind: str, *smtps: str) -> str:
    inner = "".join(f"<t:Mailbox><t:EmailAddress>{s}</t:EmailAddress></t:Mailbox>" for s in smtps)
    return f"<t:{kind}>{inner}</t:{kind}>"


def draft(soap, subject: str, recipients: str = "", categories: str = "") -> str:
    answer = soap.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
        f"<t:Subject>{subject}</t:Subject><t:Body BodyType=\"Text\">hello</t:Body>{categories}{recipients}"
        "</t:Message></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    return answer.first("//t:Message/t:ItemId").get("Id")


def subjects(soap, folder: str) -> list[str]:
    answer = soap.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        f'<m:ParentFolderIds><t:DistinguishedFolderId Id="{folder}"/></m:ParentFolderIds></m:FindItem>')
    return [el.text for el in answer.xpath("//t:Items/*/t:Subject")]


def send(soap, item_id: str, save: str = "true") -> list[str]:
    return soap.call(f'<m:SendItem SaveItemToFolder="{save}"><m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds>'
                     "</m:SendItem>").response_codes


def test_a_generic_item_is_kept_with_its_common_fields(alex):
    answer = alex.call(
        '<m:CreateItem><m:SavedItemFolderId><t:DistinguishedFolderId Id="inbox"/></m:SavedItemFolderId>'
        '<m:Items><t:Item><t:Subject>Plain</t:Subject>'
        "<t:Categories><t:String>Green</t:String></t:Categories><t:Importance>High</t:Importance></t:Item></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    item_id = answer.first("//t:Item/t:ItemId").get("Id")
    got = alex.get(item_id)
    assert got.first("//m:Items/t:Item/t:Subject").text == "Plain"
    assert got.first("//t:Item/t:Importance").text == "High"
    assert [s.text for s in got.xpath("//t:Item/t:Categories/t:String")] == ["Green"]
    assert got.first("//t:Item/t:ItemClass").text == "IPM.Item"


def test_a_draft_is_sent_once_to_each_mailbox_named(alex, adele):
    item_id = draft(alex, "Agenda", mailboxes("ToRecipients", ADELE) + mailboxes("CcRecipients", ADELE)
                    + mailboxes("BccRecipients", ADELE, ALEX),
                    "<t:Categories><t:String>Private</t:String></t:Categories>")
    assert send(alex, item_id) == ["NoError"]
    assert subjects(adele, "inbox") == ["Agenda"]
    assert subjects(alex, "inbox") == ["Agenda"]
    assert subjects(alex, "drafts") == [] and subjects(alex, "sentitems") == ["Agenda"]
    # The sender's categories stay with the sender
    (received,) = adele.find_ids("inbox", "Message")
    assert adele.get(received[0]).xpath("//t:Categories") == []


def test_a_draft_without_recipients_is_refused(alex):
    assert send(alex, draft(alex, "Nobody")) == ["ErrorInvalidRecipients"]
    assert subjects(alex, "drafts") == ["Nobody"]


def test_move_and_copy_between_folders(alex):
    item_id = draft(alex, "Mover")
    moved = alex.call('<m:MoveItem><m:ToFolderId><t:DistinguishedFolderId Id="inbox"/></m:ToFolderId>'
                      f'<m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:MoveItem>')
    assert moved.response_codes == ["NoError"], moved.content
    assert subjects(alex, "inbox") == ["Mover"] and subjects(alex, "drafts") == []
    copied = alex.call('<m:CopyItem><m:ToFolderId><t:DistinguishedFolderId Id="drafts"/></m:ToFolderId>'
                       f'<m:ItemIds><t:ItemId Id="{item_id}"/><t:ItemId Id="AUVQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"/>'
                       "</m:ItemIds></m:CopyItem>")
    assert copied.response_codes == ["NoError", "ErrorItemNotFound"], copied.content
    assert copied.first("//t:Message/t:ItemId").get("Id") != item_id
    assert subjects(alex, "inbox") == ["Mover"] and subjects(alex, "drafts") == ["Mover"]


def test_reply_reply_all_and_forward(alex, adele, emulator):
    megan = emulator.soap(MEGAN)
    assert send(alex, draft(alex, "Plan", mailboxes("ToRecipients", ADELE, MEGAN))) == ["NoError"]
    ((received, _),) = adele.find_ids("inbox", "Message")
    reply = adele.call(
        '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:ReplyToItem>'
        f'<t:ReferenceItemId Id="{received}"/><t:NewBodyContent BodyType="Text">Yes</t:NewBodyContent>'
        "</t:ReplyToItem></m:Items></m:CreateItem>")
    assert reply.response_codes == ["NoError"], reply.content
    assert "RE: Plan" in subjects(alex, "inbox") and subjects(adele, "sentitems") == ["RE: Plan"]
    reply_all = adele.call(
        '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:ReplyAllToItem>'
        f'<t:ReferenceItemId Id="{received}"/></t:ReplyAllToItem></m:Items></m:CreateItem>')
    assert reply_all.response_codes == ["NoError"], reply_all.content
    assert subjects(megan, "inbox").count("RE: Plan") == 1
    forward = adele.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:ForwardItem>'
        f'{mailboxes("ToRecipients", MEGAN)}<t:ReferenceItemId Id="{received}"/>'
        "</t:ForwardItem></m:Items></m:CreateItem>")
    assert forward.response_codes == ["NoError"], forward.content
    saved = forward.first("//t:Message/t:ItemId").get("Id")
    assert "FW: Plan" in subjects(adele, "drafts")
    assert send(adele, saved) == ["NoError"]
    assert "FW: Plan" in subjects(megan, "inbox")


def test_a_subject_is_kept_to_255_characters(alex):
    item_id = draft(alex, "x" * 300)
    assert alex.get(item_id).first("//t:Message/t:Subject").text == "x" * 255


def test_delete_with_a_malformed_change_key(alex):
    item_id = draft(alex, "Keep")
    answer = alex.call(f'<m:DeleteItem DeleteType="HardDelete"><m:ItemIds><t:ItemId Id="{item_id}" ChangeKey="XXX"/>'
                       "</m:ItemIds></m:DeleteItem>")
    assert answer.response_codes == ["ErrorInvalidChangeKey"]
    assert subjects(alex, "drafts") == ["Keep"]


def test_update_item_can_send_the_draft(alex, adele):
    item_id = draft(alex, "Later", mailboxes("ToRecipients", ADELE))
    change_key = alex.get(item_id).first("//t:Message/t:ItemId").get("ChangeKey")
    answer = alex.call(
        f'<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SendAndSaveCopy"><m:ItemChanges>'
        f'<t:ItemChange><t:ItemId Id="{item_id}" ChangeKey="{change_key}"/><t:Updates><t:SetItemField>'
        '<t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>Now</t:Subject></t:Message></t:SetItemField>'
        "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    assert answer.xpath("//m:Items/*") == []
    assert subjects(adele, "inbox") == ["Now"] and subjects(alex, "sentitems") == ["Now"]


def test_the_organizer_cancels_with_cancel_calendar_item(alex, adele):
    meeting, _ = alex.create_meeting("Lunch", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
    answer = alex.call('<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem>'
                       f'<t:ReferenceItemId Id="{meeting}"/></t:CancelCalendarItem></m:Items></m:CreateItem>')
    assert answer.response_codes == ["NoError"], answer.content
    assert answer.first("//t:MeetingCancellation/t:ItemId") is not None
    assert "Canceled: Lunch" in subjects(adele, "inbox")
    again = alex.call('<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem>'
                      f'<t:ReferenceItemId Id="{meeting}"/></t:CancelCalendarItem></m:Items></m:CreateItem>')
    assert again.response_codes == ["ErrorItemNotFound"]


def test_common_fields_are_kept_as_written(alex):
    answer = alex.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>Kept</t:Subject>'
        "<t:InReplyTo>&lt;abc@example.com&gt;</t:InReplyTo><t:ReminderIsSet>true</t:ReminderIsSet>"
        "<t:ReminderMinutesBeforeStart>42</t:ReminderMinutesBeforeStart><t:Culture>da-DK</t:Culture>"
        "</t:Message></m:Items></m:CreateItem>")
    item_id = answer.first("//t:Message/t:ItemId").get("Id")
    got = alex.get(item_id)
    assert got.first("//t:Message/t:InReplyTo").text == "<abc@example.com>"
    assert got.first("//t:Message/t:ReminderIsSet").text == "true"
    assert got.first("//t:Message/t:ReminderMinutesBeforeStart").text == "42"
    assert got.first("//t:Message/t:Culture").text == "da-DK"
    plain = alex.get(draft(alex, "Plain"))
    assert plain.first("//t:Message/t:ReminderIsSet").text == "false"
    assert plain.first("//t:Message/t:Culture").text == "en-US"


def test_message_header_fields_are_kept_and_updated(alex):
    answer = alex.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>Headers</t:Subject>'
        "<t:IsReadReceiptRequested>true</t:IsReadReceiptRequested>"
        "<t:InternetMessageId>&lt;m1@example.com&gt;</t:InternetMessageId>"
        "<t:References>&lt;m0@example.com&gt;</t:References>"
        f"{mailboxes('ReplyTo', MEGAN)}</t:Message></m:Items></m:CreateItem>")
    el = answer.first("//t:Message/t:ItemId")
    got = alex.get(el.get("Id"))
    assert got.first("//t:Message/t:IsReadReceiptRequested").text == "true"
    assert got.first("//t:Message/t:IsDeliveryReceiptRequested").text == "false"
    assert got.first("//t:Message/t:InternetMessageId").text == "<m1@example.com>"
    assert got.first("//t:Message/t:References").text == "<m0@example.com>"
    assert got.first("//t:Message/t:ReplyTo/t:Mailbox/t:Name").text == "Megan Bowen"
    updated = alex.call(
        f'<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges>'
        f'<t:ItemChange><t:ItemId Id="{el.get("Id")}"/><t:Updates><t:SetItemField>'
        '<t:FieldURI FieldURI="message:IsDeliveryReceiptRequested"/><t:Message>'
        "<t:IsDeliveryReceiptRequested>true</t:IsDeliveryReceiptRequested></t:Message></t:SetItemField>"
        '<t:DeleteItemField><t:FieldURI FieldURI="message:References"/></t:DeleteItemField>'
        "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>")
    assert updated.response_codes == ["NoError"], updated.content
    got = alex.get(el.get("Id"))
    assert got.first("//t:Message/t:IsDeliveryReceiptRequested").text == "true"
    assert got.xpath("//t:Message/t:References") == []
    assert got.first("//t:Message/t:IsReadReceiptRequested").text == "true"


def test_reminder_due_by_is_accepted_in_a_restriction_and_matches_nothing(alex):
    draft(alex, "Any")
    answer = alex.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
        '<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:ReminderDueBy"/><t:FieldURIOrConstant>'
        '<t:Constant Value="2026-12-01T12:00:00Z"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="drafts"/></m:ParentFolderIds></m:FindItem>')
    assert answer.response_codes == ["NoError"], answer.content
    assert answer.first("//m:RootFolder").get("TotalItemsInView") == "0"


def test_mark_as_junk_moves_to_junk_email_and_back(alex, adele):
    recipients = "<t:ToRecipients><t:Mailbox><t:EmailAddress>AlexW@contoso.com</t:EmailAddress></t:Mailbox></t:ToRecipients>"
    assert send(adele, draft(adele, "Spam?", recipients), save="false") == ["NoError"]
    ((item_id, _),) = alex.find_ids("inbox")

    def mark(junk, move, ident=item_id):
        return alex.call(f'<m:MarkAsJunk IsJunk="{junk}" MoveItem="{move}"><m:ItemIds><t:ItemId Id="{ident}"/>'
                         "</m:ItemIds></m:MarkAsJunk>")

    stay = mark("true", "false")
    assert stay.response_codes == ["NoError"] and stay.xpath("//m:MovedItemId") == []
    assert subjects(alex, "inbox") == ["Spam?"]
    own = mark("true", "true", draft(alex, "Mine"))  # one's own mail is never junk
    assert own.response_codes == ["NoError"] and own.xpath("//m:MovedItemId") == []
    assert subjects(alex, "drafts") == ["Mine"]
    moved = mark("true", "true")
    assert moved.first("//m:MovedItemId").get("Id") == item_id
    assert subjects(alex, "junkemail") == ["Spam?"]
    mark("false", "true")
    assert subjects(alex, "inbox") == ["Spam?"] and subjects(alex, "junkemail") == []


def test_text_body_is_the_body_as_text(alex):
    answer = alex.call(
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>Rich</t:Subject>'
        '<t:Body BodyType="HTML">&lt;html&gt;&lt;body&gt;&lt;p&gt;Hello &lt;b&gt;HTML&lt;/b&gt;&lt;/p&gt;'
        "&lt;/body&gt;&lt;/html&gt;</t:Body></t:Message></m:Items></m:CreateItem>")
    item_id = answer.first("//t:Message/t:ItemId").get("Id")
    got = alex.get(item_id, "IdOnly", ("item:TextBody",))
    assert got.first("//t:Message/t:TextBody").text == "Hello HTML"
    assert got.first("//t:Message/t:TextBody").get("BodyType") == "Text"


def test_export_and_upload_round_trip(alex, adele):
    item_id = draft(alex, "Exported", categories="<t:Categories><t:String>Keep</t:String></t:Categories>")
    missing = "AUVQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    exported = alex.call(f'<m:ExportItems><m:ItemIds><t:ItemId Id="{item_id}"/><t:ItemId Id="{missing}"/>'
                         "</m:ItemIds></m:ExportItems>")
    assert exported.response_codes == ["NoError", "ErrorItemNotFound"], exported.content
    data = exported.first("//m:Data").text
    folder = alex.call('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>'
                       '<t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>').first("//t:FolderId")

    def upload(soap, action, data, item=""):
        return soap.call(f'<m:UploadItems><m:Items><t:Item CreateAction="{action}">'
                         f'<t:ParentFolderId Id="{folder.get("Id")}"/>{item}<t:Data>{data}</t:Data></t:Item>'
                         "</m:Items></m:UploadItems>")

    created = upload(alex, "CreateNew", data)
    assert created.response_codes == ["NoError"], created.content
    new_id = created.first("//m:ItemId").get("Id")
    assert new_id != item_id and subjects(alex, "inbox") == ["Exported"]
    assert [s.text for s in alex.get(new_id).xpath("//t:Categories/t:String")] == ["Keep"]
    again = upload(alex, "Update", data, f'<t:ItemId Id="{new_id}"/>')
    assert again.first("//m:ItemId").get("Id") == new_id and subjects(alex, "inbox") == ["Exported"]
    assert upload(alex, "CreateNew", "bm90IGFuIGl0ZW0=").response_codes == ["ErrorCorruptData"]
    # Another mailbox's folder is not there for this one
    assert upload(adele, "CreateNew", data).response_codes == ["ErrorFolderNotFound"]


def test_archive_item_moves_into_the_named_folder(alex):
    item_id = draft(alex, "Old news")
    answer = alex.call('<m:ArchiveItem><m:ArchiveSourceFolderId><t:DistinguishedFolderId Id="deleteditems"/>'
                       f'</m:ArchiveSourceFolderId><m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:ArchiveItem>')
    assert answer.response_codes == ["NoError"], answer.content
    assert answer.first("//m:Items/t:Message/t:ItemId").get("Id") == item_id
    assert subjects(alex, "deleteditems") == ["Old news"] and subjects(alex, "drafts") == []


def test_mime_content_makes_an_item_and_describes_one(alex):
    import base64
    from email import message_from_bytes
    mime = (b"From: AlexW@contoso.com\r\nTo: Adele Vance <AdeleV@contoso.com>\r\nSubject: From MIME\r\n"
            b"Message-ID: <m1@contoso.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMIME body\r\n")
    answer = alex.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:MimeContent>'
                       f"{base64.b64encode(mime).decode()}</t:MimeContent><t:Importance>High</t:Importance>"
                       "</t:Message></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    item_id = answer.first("//t:Message/t:ItemId").get("Id")
    got = alex.get(item_id, "Default")
    assert got.first("//t:Message/t:Subject").text == "From MIME"
    assert got.first("//t:Message/t:Body").text.strip() == "MIME body"
    assert got.first("//t:Message/t:ToRecipients/t:Mailbox/t:EmailAddress").text == "AdeleV@contoso.com"
    assert got.xpath("//t:MimeContent") == []  # only when asked for
    asked = alex.get(item_id, "IdOnly", ("item:MimeContent",))
    out = message_from_bytes(base64.b64decode(asked.first("//t:MimeContent").text))
    assert out["Subject"] == "From MIME" and out["Message-ID"] == "<m1@contoso.com>"
    assert out["Importance"] == "high"  # the element after MimeContent wins
    # A subject and a name with line ends (EWS allows them; MIME headers do not): unfolded.
    answer = alex.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
                       "<t:Subject>two&#13;\nlines</t:Subject><t:ToRecipients><t:Mailbox><t:Name>Pat&#10;Doe</t:Name>"
                       "<t:EmailAddress>pat@fabrikam.test</t:EmailAddress></t:Mailbox></t:ToRecipients>"
                       "</t:Message></m:Items></m:CreateItem>")
    assert answer.response_codes == ["NoError"], answer.content
    asked = alex.get(answer.first("//t:Message/t:ItemId").get("Id"), "IdOnly", ("item:MimeContent",))
    assert asked.response_codes == ["NoError"], asked.content
    out = message_from_bytes(base64.b64decode(asked.first("//t:MimeContent").text))
    assert out["Subject"] == "two lines" and out["To"] == '"Pat Doe" <pat@fabrikam.test>'
    bad = alex.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:MimeContent>%%%'
                    "</t:MimeContent></t:Message></m:Items></m:CreateItem>")
    assert bad.response_codes == ["ErrorMimeContentInvalidBase64String"]
