"""A mailbox's folder tree: the default folders every mailbox has (an Exchange 2016+
mailbox's, distinguished or not) and the folders its owner creates, moves, renames,
empties and deletes.

A folder is named by its key: a default folder's key is its distinguished name (or a
plain word for the non-distinguished ones); a created folder's key is a new folder id.
Items live in a folder by key (``Item.folder``). Every public method is one store
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store.base import Store, Transaction
from . import errors as E
from . import ids
from .errors import RuleError
from .model import DELETED, INBOX, ROOT, TOP

# (key, parent key, display name, FolderClass, distinguished)
_DEFAULT_TREE: tuple[tuple[str, str | None, str, str | None, bool], ...] = (
    (ROOT, None, "", None, True),
    # the non-IPM subtree
    ("commonviews", ROOT, "Common Views", None, False),
    ("deferredaction", ROOT, "Deferred Action", None, False),
    ("exchangesyncdata", ROOT, "ExchangeSyncData", None, False),
    ("searchfolders", ROOT, "Finder", None, True),
    ("freebusydata", ROOT, "Freebusy Data", None, False),
    ("location", ROOT, "Location", None, False),
    ("mailboxassociations", ROOT, "MailboxAssociations", None, False),
    ("recoverableitemsroot", ROOT, "Recoverable Items", None, True),
    ("calendarlogging", "recoverableitemsroot", "Calendar Logging", None, False),
    ("recoverableitemsdeletions", "recoverableitemsroot", "Deletions", None, True),
    ("recoverableitemspurges", "recoverableitemsroot", "Purges", None, True),
    ("recoverableitemsversions", "recoverableitemsroot", "Versions", None, True),
    ("reminders", ROOT, "Reminders", "Outlook.Reminder", False),
    ("schedule", ROOT, "Schedule", None, False),
    ("shortcuts", ROOT, "Shortcuts", None, False),
    ("spoolerqueue", ROOT, "Spooler Queue", None, False),
    ("todosearch", ROOT, "To-Do Search", "IPF.Task", True),
    ("views", ROOT, "Views", None, False),
    (TOP, ROOT, "Top of Information Store", None, True),
    # the IPM subtree
    ("calendar", TOP, "Calendar", "IPF.Appointment", True),
    ("contacts", TOP, "Contacts", "IPF.Contact", True),
    ("galcontacts", "contacts", "GAL Contacts", "IPF.Contact.GalContacts", False),
    ("organizationalcontacts", "contacts", "Organizational Contacts", "IPF.Contact.OrganizationalContacts", False),
    ("recipientcache", "contacts", "Recipient Cache", "IPF.Contact.RecipientCache", True),
    ("conversationactionsettings", TOP, "Conversation Action Settings", "IPF.Configuration", False),
    ("conversationhistory", TOP, "Conversation History", None, True),
    (DELETED, TOP, "Deleted Items", "IPF.Note", True),
    ("drafts", TOP, "Drafts", "IPF.Note", True),
    ("externalcontacts", TOP, "ExternalContacts", "IPF.Contact", False),
    (INBOX, TOP, "Inbox", "IPF.Note", True),
    ("journal", TOP, "Journal", "IPF.Journal", True),
    ("junkemail", TOP, "Junk Email", "IPF.Note", True),
    ("notes", TOP, "Notes", "IPF.StickyNote", True),
    ("outbox", TOP, "Outbox", "IPF.Note", True),
    ("personmetadata", TOP, "PersonMetadata", "IPF.Contact", False),
    ("quickstepsettings", TOP, "Quick Step Settings", "IPF.Configuration", False),
    ("rssfeeds", TOP, "RSS Feeds", "IPF.Note.OutlookHomepage", False),
    ("sentitems", TOP, "Sent Items", "IPF.Note", True),
    ("syncissues", TOP, "Sync Issues", "IPF.Note", True),
    ("conflicts", "syncissues", "Conflicts", None, True),
    ("localfailures", "syncissues", "Local Failures", None, True),
    ("serverfailures", "syncissues", "Server Failures", None, True),
    ("tasks", TOP, "Tasks", "IPF.Task", True),
)
DISTINGUISHED = frozenset(key for key, _, _, _, dist in _DEFAULT_TREE if dist)
DEFAULT_KEYS = frozenset(key for key, *_ in _DEFAULT_TREE)

DEFAULT_CHANGE_KEY = "AQAAAA=="

# Delete types (EWS: HardDelete / SoftDelete / MoveToDeletedItems)
HARD_DELETE = "hard"
SOFT_DELETE = "soft"
MOVE_TO_DELETED = "move_to_deleted"


@dataclass
class Folder:
    key: str
    mailbox: str
    parent: str | None
    name: str
    folder_class: str | None
    distinguished: bool = False
    created: bool = False  # made by the mailbox's owner (may be renamed, moved, deleted)
    change_key: str = DEFAULT_CHANGE_KEY
    # the folder's PermissionSet as the surface gave it (not read here); None: the default
    permissions: object = None

    @property
    def id(self) -> str:
        return ids.folder_id(self.mailbox, self.key)


def _default(mailbox: str, entry: tuple) -> Folder:
    key, parent, name, folder_class, dist = entry
    return Folder(key, mailbox, parent, name, folder_class, dist)


_DEFAULTS = {entry[0]: entry for entry in _DEFAULT_TREE}


def _record(folder: Folder) -> dict:
    return {"id": folder.key, "mailbox": folder.mailbox, "parent": folder.parent, "name": folder.name,
            "folder_class": folder.folder_class, "change_key": folder.change_key,
            **({"permissions": folder.permissions} if folder.permissions is not None else {})}


def _from_record(record: dict) -> Folder:
    return Folder(record["id"], record["mailbox"], record["parent"], record["name"], record.get("folder_class"),
                  created=True, change_key=record.get("change_key") or DEFAULT_CHANGE_KEY,
                  permissions=record.get("permissions"))


class FolderRules:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- reading -------------------------------------------------------------------

    def get(self, actor: str, key: str) -> Folder:
        with self.store.transaction(write=False) as tx:
            return self._get(tx, actor, key)

    def by_id(self, actor: str, folder_id: str) -> Folder:
        """The actor's folder with this wire id; another mailbox's is answered as missing."""
        if not ids.is_folder_id(folder_id):
            raise RuleError(E.ID_MALFORMED, "Id is malformed.")
        for key in DEFAULT_KEYS:
            if ids.folder_id(actor, key) == folder_id:
                return _default(actor, _DEFAULTS[key])
        return self.get(actor, folder_id)

    def tree(self, actor: str) -> list[Folder]:
        """Every folder of the mailbox, default ones first."""
        with self.store.transaction(write=False) as tx:
            return self._tree(tx, actor)

    def below(self, actor: str, key: str, deep: bool) -> list[Folder]:
        """The children of a folder (``deep``: all descendants, depth first)."""
        with self.store.transaction(write=False) as tx:
            self._get(tx, actor, key)
            return _below(self._tree(tx, actor), key, deep)

    def counts(self, actor: str, key: str) -> tuple[int, int, int]:
        """(items, unread items, child folders) of one folder."""
        with self.store.transaction(write=False) as tx:
            total, unread = tx.counts(actor, key)
            children = len(_below(self._tree(tx, actor), key, deep=False))
            return total, unread, children

    # --- changing ------------------------------------------------------------------

    def create(self, actor: str, parent_key: str, name: str, folder_class: str | None) -> Folder:
        with self.store.transaction() as tx:
            self._get(tx, actor, parent_key)
            self._check_name(tx, actor, parent_key, name)
            folder = Folder(ids.new_folder_id(), actor, parent_key, name, folder_class, created=True,
                            change_key=ids.new_change_key())
            tx.put_folder(_record(folder))
            return folder

    def update(self, actor: str, key: str, changes: dict[str, object]) -> Folder:
        """Rename (``name``), reclassify (``folder_class``) or share (``permissions``) a created folder."""
        with self.store.transaction() as tx:
            folder = self._changeable(tx, actor, key, "changed")
            if "name" in changes:
                name = str(changes["name"] or "")
                if not name:
                    raise RuleError(E.INVALID_FIELD_VALUE, "A folder needs a display name.")
                if name.lower() != folder.name.lower():
                    self._check_name(tx, actor, folder.parent or ROOT, name)
                folder.name = name
            if "permissions" in changes:
                folder.permissions = changes["permissions"]
            if "folder_class" in changes and changes["folder_class"] != folder.folder_class:
                raise RuleError(E.FOLDER_CLASS_CHANGED, "The FolderClass of a folder cannot be changed.")
            folder.change_key = ids.new_change_key()
            tx.put_folder(_record(folder))
            return folder

    def move(self, actor: str, key: str, to_key: str) -> Folder:
        with self.store.transaction() as tx:
            folder = self._changeable(tx, actor, key, "moved")
            self._get(tx, actor, to_key)
            if to_key == key or to_key in {f.key for f in _below(self._tree(tx, actor), key, deep=True)}:
                raise RuleError(E.MOVE_INTO_ITSELF, "A folder cannot be moved into itself or its subfolders.")
            if to_key != folder.parent:
                self._check_name(tx, actor, to_key, folder.name)
            folder.parent = to_key
            folder.change_key = ids.new_change_key()
            tx.put_folder(_record(folder))
            return folder

    def delete(self, actor: str, key: str, how: str = HARD_DELETE) -> None:
        with self.store.transaction() as tx:
            folder = self._changeable(tx, actor, key, "deleted")
            if how == MOVE_TO_DELETED and folder.parent != DELETED:
                folder.parent = DELETED
                folder.change_key = ids.new_change_key()
                tx.put_folder(_record(folder))
                return
            for sub in [*_below(self._tree(tx, actor), key, deep=True), folder]:
                for item_id in tx.folder_item_ids(actor, sub.key):
                    tx.delete(item_id)
                tx.delete_folder(sub.key)

    def empty(self, actor: str, key: str, delete_subfolders: bool, how: str = HARD_DELETE) -> None:
        """Delete a folder's items (and, when asked, its created subfolders)."""
        with self.store.transaction() as tx:
            self._get(tx, actor, key)
            tree = self._tree(tx, actor)
            for item_id in tx.folder_item_ids(actor, key):
                self._delete_item(tx, item_id, how, key)
            if delete_subfolders:
                for sub in _below(tree, key, deep=True):
                    for item_id in tx.folder_item_ids(actor, sub.key):
                        tx.delete(item_id)
                    if sub.created:
                        tx.delete_folder(sub.key)

    def within(self, tx: Transaction, actor: str, key: str) -> Folder:
        """The folder, read inside another workflow's transaction (RuleError when missing)."""
        return self._get(tx, actor, key)

    # --- helpers -------------------------------------------------------------------

    @staticmethod
    def _delete_item(tx: Transaction, item_id: str, how: str, folder: str) -> None:
        if how == MOVE_TO_DELETED and folder != DELETED:
            item = tx.get(item_id)
            if item is not None:
                item.folder = DELETED
                item.change_key = ids.new_change_key()
                tx.put(item)
                return
        tx.delete(item_id)

    def _get(self, tx: Transaction, actor: str, key: str) -> Folder:
        if key in _DEFAULTS:
            return _default(actor, _DEFAULTS[key])
        record = tx.get_folder(key) if ids.is_folder_id(key) else None
        if record is None or record["mailbox"].lower() != actor.lower():
            raise RuleError(E.FOLDER_NOT_FOUND, "The specified folder could not be found in the store.")
        return _from_record(record)

    def _changeable(self, tx: Transaction, actor: str, key: str, what: str) -> Folder:
        folder = self._get(tx, actor, key)
        if not folder.created:
            raise RuleError(E.DISTINGUISHED_FOLDER, f"A default folder cannot be {what}.", action=what)
        return folder

    def _tree(self, tx: Transaction, actor: str) -> list[Folder]:
        return [_default(actor, e) for e in _DEFAULT_TREE] + [_from_record(r) for r in tx.list_folders(actor)]

    def _check_name(self, tx: Transaction, actor: str, parent: str, name: str) -> None:
        for sibling in _below(self._tree(tx, actor), parent, deep=False):
            if sibling.name.lower() == name.lower():
                raise RuleError(E.FOLDER_EXISTS, f"Could not create folder '{name}': a folder with the same "
                                "name already exists.")


def _below(tree: list[Folder], key: str, deep: bool) -> list[Folder]:
    children: dict[str | None, list[Folder]] = {}
    for f in tree:
        children.setdefault(f.parent, []).append(f)
    out: list[Folder] = []

    def walk(parent: str) -> None:
        for child in children.get(parent, []):
            out.append(child)
            if deep:
                walk(child.key)
    walk(key)
    return out
