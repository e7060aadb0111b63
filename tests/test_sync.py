"""SyncFolderItems and SyncFolderHierarchy on the wire: create / update / read-flag /
delete changes, MaxChangesReturned paging, Ignore, and a sync state that survives a
restart of the server on the same store."""

from __future__ import annotations

from ews_propose.server import EmulatorServer, ServerConfig

from .ews import Soap
from .stores import store_for


def sync_items(soap, state="", max_changes=100, ignore="", folder='<t:DistinguishedFolderId Id="drafts"/>'):
    state_el = f"<m:SyncState>{state}</m:SyncState>" if state else ""
    answer = soap.call(
        '<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
        '<t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape>'
        f"<m:SyncFolderId>{folder}</m:SyncFolderId>{state_el}{ignore}"
        f"<m:MaxChangesReturned>{max_changes}</m:MaxChangesReturned></m:SyncFolderItems>")
    assert answer.response_codes == ["NoError"], answer.content
    changes = [(el.tag.split("}")[1], (el.find(".//{*}Subject").text if el.find(".//{*}Subject") is not None
                                        else None)) for el in answer.first("//m:Changes")]
    return changes, answer.first("//m:SyncState").text, answer.first("//m:IncludesLastItemInRange").text


def draft(soap, subject) -> tuple[str, str]:
    answer = soap.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
                       f"<t:Subject>{subject}</t:Subject></t:Message></m:Items></m:CreateItem>")
    el = answer.first("//t:Message/t:ItemId")
    return el.get("Id"), el.get("ChangeKey")


def update(soap, item_id, change_key, uri, value_xml):
    answer = soap.call(
        f'<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges>'
        f'<t:ItemChange><t:ItemId Id="{item_id}" ChangeKey="{change_key}"/><t:Updates><t:SetItemField>'
        f'<t:FieldURI FieldURI="{uri}"/><t:Message>{value_xml}</t:Message></t:SetItemField></t:Updates>'
        "</t:ItemChange></m:ItemChanges></m:UpdateItem>")
    assert answer.response_codes == ["NoError"], answer.content


def test_item_changes_since_the_last_state(alex):
    changes, state, last = sync_items(alex)
    assert changes == [] and last == "true"
    one, ck = draft(alex, "one")
    draft(alex, "two")
    changes, state2, _ = sync_items(alex, state)
    assert changes == [("Create", "one"), ("Create", "two")]
    assert sync_items(alex, state2)[0] == []
    update(alex, one, ck, "item:Subject", "<t:Subject>uno</t:Subject>")
    changes, state3, _ = sync_items(alex, state2)
    assert changes == [("Update", "uno")]
    update(alex, one, ck, "message:IsRead", "<t:IsRead>false</t:IsRead>")
    changes, state4, _ = sync_items(alex, state3)
    assert changes == [("ReadFlagChange", None)]
    alex.call(f'<m:DeleteItem DeleteType="HardDelete"><m:ItemIds><t:ItemId Id="{one}"/></m:ItemIds></m:DeleteItem>')
    changes, _, _ = sync_items(alex, state4)
    assert changes == [("Delete", None)]


def test_max_changes_pages_and_ignore_skips(alex):
    _, state, _ = sync_items(alex)
    ids = [draft(alex, f"m{i}")[0] for i in range(3)]
    changes, state2, last = sync_items(alex, state, max_changes=2)
    assert [s for _, s in changes] == ["m0", "m1"] and last == "false"
    changes, _, last = sync_items(alex, state2, max_changes=2)
    assert [s for _, s in changes] == ["m2"] and last == "true"
    ignored = f'<m:Ignore><t:ItemId Id="{ids[1]}"/></m:Ignore>'
    assert [s for _, s in sync_items(alex, state, ignore=ignored)[0]] == ["m0", "m2"]


def test_a_bad_or_foreign_state_is_refused(alex):
    _, state, _ = sync_items(alex)
    inbox = '<t:DistinguishedFolderId Id="inbox"/>'
    answer = alex.call(
        '<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
        f"<m:SyncFolderId>{inbox}</m:SyncFolderId><m:SyncState>{state}</m:SyncState>"
        "<m:MaxChangesReturned>10</m:MaxChangesReturned></m:SyncFolderItems>")
    assert answer.response_codes == ["ErrorInvalidSyncStateData"]


def test_a_sync_state_survives_a_restart(tmp_path):
    store = store_for(tmp_path, "store.sqlite3")
    with EmulatorServer(ServerConfig(port=0, store=store)) as server:
        alex = Soap(server.endpoint, "AlexW@contoso.com")
        _, state, _ = sync_items(alex)
        draft(alex, "before")
    with EmulatorServer(ServerConfig(port=0, store=store)) as server:
        alex = Soap(server.endpoint, "AlexW@contoso.com")
        draft(alex, "after")
        assert [s for _, s in sync_items(alex, state)[0]] == ["before", "after"]


def test_folder_hierarchy_changes(alex):
    def sync(state=""):
        state_el = f"<m:SyncState>{state}</m:SyncState>" if state else ""
        answer = alex.call('<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
                           '<m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId>'
                           f"{state_el}</m:SyncFolderHierarchy>")
        assert answer.response_codes == ["NoError"], answer.content
        return [el.tag.split("}")[1] for el in answer.first("//m:Changes")], answer.first("//m:SyncState").text

    changes, state = sync()
    assert changes == []
    created = alex.call('<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId>'
                        "<m:Folders><t:Folder><t:DisplayName>Sub</t:DisplayName></t:Folder></m:Folders>"
                        "</m:CreateFolder>")
    folder = created.first("//t:FolderId").get("Id")
    changes, state = sync(state)
    assert changes == ["Create"]
    alex.call(f'<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds><t:FolderId Id="{folder}"/></m:FolderIds>'
              "</m:DeleteFolder>")
    assert sync(state)[0] == ["Delete"]
