"""Folders on the wire: the default tree, FindFolder (Shallow / Deep, paging,
restriction), CreateFolder / UpdateFolder / MoveFolder / EmptyFolder / DeleteFolder,
counts; and Categories stored, returned and searchable."""

from __future__ import annotations

import pytest

FOLDER_PROPS = ("folder:ParentFolderId", "folder:FolderClass", "folder:DistinguishedFolderId")


def find_folders(soap, parent='<t:DistinguishedFolderId Id="root"/>', traversal="Deep", extra="", shape="Default",
                 version=...):
    props = "".join(f'<t:FieldURI FieldURI="{u}"/>' for u in FOLDER_PROPS)
    return soap.call(
        f'<m:FindFolder Traversal="{traversal}"><m:FolderShape><t:BaseShape>{shape}</t:BaseShape>'
        f"<t:AdditionalProperties>{props}</t:AdditionalProperties></m:FolderShape>{extra}"
        f"<m:ParentFolderIds>{parent}</m:ParentFolderIds></m:FindFolder>", version=version)


def create_folder(soap, name, parent='<t:DistinguishedFolderId Id="inbox"/>', kind="Folder", folder_class=""):
    cls = f"<t:FolderClass>{folder_class}</t:FolderClass>" if folder_class else ""
    return soap.call(f"<m:CreateFolder><m:ParentFolderId>{parent}</m:ParentFolderId><m:Folders>"
                     f"<t:{kind}>{cls}<t:DisplayName>{name}</t:DisplayName></t:{kind}></m:Folders></m:CreateFolder>")


def get_folder(soap, ident):
    return soap.call(f'<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape>'
                     f"<m:FolderIds>{ident}</m:FolderIds></m:GetFolder>")


def fid(folder_id: str) -> str:
    return f'<t:FolderId Id="{folder_id}"/>'


def new_folder(soap, name, **kw) -> str:
    answer = create_folder(soap, name, **kw)
    assert answer.response_codes == ["NoError"], answer.content
    return answer.first("//m:Folders/*/t:FolderId").get("Id")


def names(answer) -> list[str]:
    return [el.text for el in answer.xpath("//t:Folders/*/t:DisplayName")]


def test_deep_find_from_root_lists_an_exchange_mailboxs_tree(alex):
    answer = find_folders(alex, version="Exchange2016")
    assert answer.response_codes == ["NoError"], answer.content
    found = names(answer)
    assert len(found) > 40
    for name in ("Top of Information Store", "Inbox", "Calendar", "Contacts", "Tasks", "Notes", "Journal",
                 "Outbox", "Junk Email", "Conversation History", "Recoverable Items", "Deletions"):
        assert name in found
    root = answer.first("//m:RootFolder")
    assert root.get("TotalItemsInView") == str(len(found)) and root.get("IncludesLastItemInRange") == "true"
    # Each kind under its own element, with its FolderClass; distinguished ones say which they are.
    calendar = answer.first("//t:CalendarFolder[t:DisplayName='Calendar']")
    assert calendar.findtext("{*}FolderClass") == "IPF.Appointment"
    assert calendar.findtext("{*}DistinguishedFolderId") == "calendar"
    assert answer.first("//t:ContactsFolder[t:DisplayName='Contacts']") is not None
    assert answer.first("//t:TasksFolder[t:DisplayName='Tasks']") is not None
    common = answer.first("//t:Folder[t:DisplayName='Common Views']")
    assert common.find("{*}DistinguishedFolderId") is None and common.find("{*}FolderClass") is None


def test_shallow_find_lists_children_only_and_pages(alex):
    top = '<t:DistinguishedFolderId Id="msgfolderroot"/>'
    everything = names(find_folders(alex, top, "Shallow"))
    assert "Inbox" in everything and "GAL Contacts" not in everything
    page = find_folders(alex, top, "Shallow",
                        '<m:IndexedPageFolderView MaxEntriesReturned="3" Offset="2" BasePoint="Beginning"/>')
    assert names(page) == everything[2:5]
    root = page.first("//m:RootFolder")
    assert root.get("IndexedPagingOffset") == "5" and root.get("IncludesLastItemInRange") == "false"


def test_find_restricts_on_display_name(alex):
    restriction = ('<m:Restriction><t:Contains ContainmentMode="Prefixed" ContainmentComparison="{c}">'
                   '<t:FieldURI FieldURI="folder:DisplayName"/><t:Constant Value="{v}"/></t:Contains></m:Restriction>')
    assert names(find_folders(alex, extra=restriction.format(c="Exact", v="Top of"))) == ["Top of Information Store"]
    assert names(find_folders(alex, extra=restriction.format(c="Exact", v="top of"))) == []
    assert names(find_folders(alex, extra=restriction.format(c="IgnoreCase", v="top of"))) == [
        "Top of Information Store"]


def test_every_distinguished_folder_of_the_issue_answers_get_folder(alex):
    wanted = ("root msgfolderroot inbox outbox sentitems deleteditems drafts junkemail calendar contacts tasks "
              "notes journal searchfolders conversationhistory recoverableitemsroot recoverableitemsdeletions").split()
    answer = get_folder(alex, "".join(f'<t:DistinguishedFolderId Id="{w}"/>' for w in wanted))
    assert answer.response_codes == ["NoError"] * len(wanted), answer.content
    classes = dict(zip(wanted, [el.findtext("{*}FolderClass") for el in answer.xpath("//m:Folders/*")], strict=True))
    assert classes["tasks"] == "IPF.Task" and classes["notes"] == "IPF.StickyNote" and classes["root"] is None
    # A distinguished folder this mailbox does not have
    assert get_folder(alex, '<t:DistinguishedFolderId Id="voicemail"/>').response_codes == ["ErrorFolderNotFound"]
    # No public folders here
    assert get_folder(alex, '<t:DistinguishedFolderId Id="publicfoldersroot"/>').response_codes == [
        "ErrorNoPublicFolderReplicaAvailable"]


def test_create_rename_move_delete(alex):
    first = new_folder(alex, "Projects")
    assert create_folder(alex, "projects").response_codes == ["ErrorFolderExists"]
    second = new_folder(alex, "Archive 2026", parent=fid(first))
    counts = get_folder(alex, fid(first))
    assert counts.first("//t:ChildFolderCount").text == "1"
    assert counts.xpath("//t:FolderClass") == []  # created without one: none given back

    renamed = alex.call(
        f'<m:UpdateFolder><m:FolderChanges><t:FolderChange>{fid(second)}<t:Updates><t:SetFolderField>'
        '<t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Old projects</t:DisplayName></t:Folder>'
        "</t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>")
    assert renamed.response_codes == ["NoError"], renamed.content
    assert get_folder(alex, fid(second)).first("//t:DisplayName").text == "Old projects"

    moved = alex.call(f'<m:MoveFolder><m:ToFolderId><t:DistinguishedFolderId Id="msgfolderroot"/></m:ToFolderId>'
                      f"<m:FolderIds>{fid(second)}</m:FolderIds></m:MoveFolder>")
    assert moved.response_codes == ["NoError"], moved.content
    assert "Old projects" in names(find_folders(alex, '<t:DistinguishedFolderId Id="msgfolderroot"/>', "Shallow"))
    into_itself = alex.call(f"<m:MoveFolder><m:ToFolderId>{fid(first)}</m:ToFolderId>"
                            f"<m:FolderIds>{fid(first)}</m:FolderIds></m:MoveFolder>")
    assert into_itself.response_codes == ["ErrorMoveCopyFailed"]

    deleted = alex.call(f'<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds>{fid(first)}{fid(second)}'
                        '<t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:DeleteFolder>')
    assert deleted.response_codes == ["NoError", "NoError", "ErrorDeleteDistinguishedFolder"]
    assert get_folder(alex, fid(first)).response_codes == ["ErrorFolderNotFound"]


def test_a_folder_holds_items_and_counts_them(alex, adele):
    folder = new_folder(alex, "Receipts")
    for subject, read in (("one", "false"), ("two", "true")):
        answer = alex.call(
            f'<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId>{fid(folder)}</m:SavedItemFolderId>'
            f"<m:Items><t:Message><t:Subject>{subject}</t:Subject><t:IsRead>{read}</t:IsRead></t:Message>"
            "</m:Items></m:CreateItem>")
        assert answer.response_codes == ["NoError"], answer.content
    got = get_folder(alex, fid(folder))
    assert (got.first("//t:TotalCount").text, got.first("//t:UnreadCount").text) == ("2", "1")
    # Another mailbox cannot see it
    assert get_folder(adele, fid(folder)).response_codes == ["ErrorFolderNotFound"]
    emptied = alex.call(f'<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="false">'
                        f"<m:FolderIds>{fid(folder)}</m:FolderIds></m:EmptyFolder>")
    assert emptied.response_codes == ["NoError"], emptied.content
    assert get_folder(alex, fid(folder)).first("//t:TotalCount").text == "0"


@pytest.mark.parametrize("op", ["IsEqualTo", "Contains"])
def test_categories_are_stored_returned_and_searchable(alex, op):
    for subject, cats in (("tagged", ("Blue", "Lunch")), ("other", ("Red",)), ("bare", ())):
        strings = "".join(f"<t:String>{c}</t:String>" for c in cats)
        alex.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
                  f"<t:Subject>{subject}</t:Subject>"
                  + (f"<t:Categories>{strings}</t:Categories>" if cats else "")
                  + "</t:Message></m:Items></m:CreateItem>")
    if op == "IsEqualTo":
        expr = ('<t:IsEqualTo><t:FieldURI FieldURI="item:Categories"/><t:FieldURIOrConstant>'
                '<t:Constant Value="lunch"/></t:FieldURIOrConstant></t:IsEqualTo>')
    else:
        expr = ('<t:Contains ContainmentMode="Substring" ContainmentComparison="Exact">'
                '<t:FieldURI FieldURI="item:Categories"/><t:Constant Value="Lun"/></t:Contains>')
    answer = alex.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        f"<m:Restriction>{expr}</m:Restriction>"
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="drafts"/></m:ParentFolderIds></m:FindItem>')
    assert answer.response_codes == ["NoError"], answer.content
    assert [el.text for el in answer.xpath("//t:Message/t:Subject")] == ["tagged"]
    assert [el.text for el in answer.xpath("//t:Message/t:Categories/t:String")] == ["Blue", "Lunch"]


def test_sorting_by_categories_uses_the_first_value(alex):
    for subject, cats in (("b", ("Beta",)), ("none", ()), ("a", ("Alpha", "Zulu"))):
        strings = "".join(f"<t:String>{c}</t:String>" for c in cats)
        alex.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
                  f"<t:Subject>{subject}</t:Subject>"
                  + (f"<t:Categories>{strings}</t:Categories>" if cats else "")
                  + "</t:Message></m:Items></m:CreateItem>")
    answer = alex.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
        '<t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape>'
        '<m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:Categories"/></t:FieldOrder>'
        '</m:SortOrder><m:ParentFolderIds><t:DistinguishedFolderId Id="drafts"/></m:ParentFolderIds></m:FindItem>')
    assert answer.response_codes == ["NoError"], answer.content
    assert [el.text for el in answer.xpath("//t:Message/t:Subject")] == ["none", "a", "b"]


def test_a_created_folder_keeps_its_permission_set(alex):
    created = alex.call('<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId>'
                        "<m:Folders><t:Folder><t:DisplayName>Shared</t:DisplayName></t:Folder></m:Folders>"
                        "</m:CreateFolder>")
    folder_id = created.first("//t:FolderId").get("Id")
    permission = ("<t:PermissionSet><t:Permissions><t:Permission><t:UserId><t:PrimarySmtpAddress>"
                  "AdeleV@contoso.com</t:PrimarySmtpAddress></t:UserId><t:PermissionLevel>{level}"
                  "</t:PermissionLevel></t:Permission></t:Permissions></t:PermissionSet>")

    def set_permissions(level):
        return alex.call(
            f'<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:FolderId Id="{folder_id}"/><t:Updates>'
            '<t:SetFolderField><t:FieldURI FieldURI="folder:PermissionSet"/><t:Folder>'
            f"{permission.format(level=level)}</t:Folder></t:SetFolderField></t:Updates></t:FolderChange>"
            "</m:FolderChanges></m:UpdateFolder>")

    assert set_permissions("Reviewer").response_codes == ["NoError"]
    got = alex.call('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
                    '<t:FieldURI FieldURI="folder:PermissionSet"/></t:AdditionalProperties></m:FolderShape>'
                    f'<m:FolderIds><t:FolderId Id="{folder_id}"/></m:FolderIds></m:GetFolder>')
    assert got.first("//t:PermissionSet//t:PrimarySmtpAddress").text == "AdeleV@contoso.com"
    assert got.first("//t:PermissionSet//t:PermissionLevel").text == "Reviewer"
    assert set_permissions("Overlord").status == 500  # not a PermissionLevel
