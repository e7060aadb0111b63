"""What every operation needs: the caller, the versions in play, the rules engine,
and builders for EWS response messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from functools import cached_property

from lxml import etree

from ..directory import Directory
from ..rules.attachments import AttachmentRules
from ..rules.engine import MeetingRules
from ..rules.errors import RuleError
from ..rules.folders import FolderRules
from ..rules.mailbox import MailboxRules
from ..rules.notifications import NotificationRules
from ..rules.sync import SyncRules
from ..versions import Build, gate
from .errors import EwsFault, ItemError, response_code
from .items.text import Reader
from .protocol import DEFAULT_REQUEST_SCHEMA, EwsHeader
from .timezones import windows_zone
from .xml import RESPONSE_NSMAP, M, SchemaViolation, sub

MAILBOX_ENV_KEY = "ews_propose.mailbox"


@dataclass
class ServerState:
    """Attached to the spyne Application as ``app.ews``."""

    rules: MeetingRules
    directory: Directory
    build: Build
    folders: FolderRules = field(init=False)
    mailbox: MailboxRules = field(init=False)
    sync: SyncRules = field(init=False)
    attachments: AttachmentRules = field(init=False)
    notifications: NotificationRules = field(init=False)

    def __post_init__(self) -> None:
        self.folders = FolderRules(self.rules.store)
        self.mailbox = MailboxRules(self.rules.store, self.directory, self.folders, self.rules.now)
        self.sync = SyncRules(self.rules.store, self.folders)
        self.attachments = AttachmentRules(self.rules.store)
        self.notifications = NotificationRules(self.rules.store, self.folders, self.rules.now)


class EwsRequest:
    """One call: the authenticated mailbox, requested schema, server build and rules."""

    def __init__(self, ctx) -> None:
        state: ServerState = ctx.app.ews
        header = ctx.in_header if isinstance(ctx.in_header, EwsHeader) else EwsHeader(DEFAULT_REQUEST_SCHEMA)
        self.rules = state.rules
        self.folders = state.folders
        self.mailbox = state.mailbox
        self.sync = state.sync
        self.attachments = state.attachments
        self.notifications = state.notifications
        self.directory = state.directory
        self.caller: str = ctx.transport.req_env[MAILBOX_ENV_KEY]
        self.actor: str = self._acting_as(header.impersonate) if header.impersonate else self.caller
        self.build = state.build
        self.schema = header.schema
        self.time_zone = header.time_zone
        # Naive times in the request are in this zone (project decision: UTC without a header).
        self.zone = windows_zone(header.time_zone) if header.time_zone else UTC

    def feature(self, name: str) -> bool:
        return gate(name).open_for(self.build, self.schema)

    def _acting_as(self, target: str) -> str:
        caller = self.directory.get(self.caller)
        if caller is None or not caller.can_impersonate:
            raise EwsFault("ErrorImpersonateUserDenied",
                           "The account does not have permission to impersonate the requested user.")
        mailbox = self.directory.get(target)
        if mailbox is None:
            raise EwsFault("ErrorNonExistentMailbox", f"No mailbox with address {target} exists.")
        return mailbox.smtp

    @cached_property
    def reader(self) -> Reader:
        proposals = self.feature("propose_new_time")
        return Reader(
            self.actor, self.build, self.schema,
            lambda item: self.rules.actions(self.actor, item, proposals),
        )


class Responses:
    """``<m:XResponse><m:ResponseMessages>`` with one message per item or id."""

    def __init__(self, operation: str) -> None:
        self.message_tag = M + operation + "ResponseMessage"
        self.root = etree.Element(M + operation + "Response", nsmap=RESPONSE_NSMAP)
        self.messages = sub(self.root, M + "ResponseMessages")

    def success(self) -> etree._Element:
        msg = sub(self.messages, self.message_tag, ResponseClass="Success")
        sub(msg, M + "ResponseCode", "NoError")
        return msg

    def error(self, code: str, text: str) -> etree._Element:
        msg = sub(self.messages, self.message_tag, ResponseClass="Error")
        sub(msg, M + "MessageText", text)
        sub(msg, M + "ResponseCode", code)
        sub(msg, M + "DescriptiveLinkKey", "0")
        return msg

    def stopped(self, count: int, what: str, items: bool = False) -> None:
        """Messages for the ``count`` entries past a limit: the first is
        ErrorTooManyObjectsOpened (Exchange's "internal limit on open objects"), the
        rest ErrorBatchProcessingStopped, as Exchange stops a batch that cannot go on."""
        for n in range(count):
            msg = (self.error("ErrorTooManyObjectsOpened", what) if n == 0 else
                   self.error("ErrorBatchProcessingStopped",
                              "The batch was stopped at an earlier entry that went past a limit."))
            if items:
                sub(msg, M + "Items")

    def failure(self, exc: Exception) -> etree._Element:
        """The per-item error for a refused rule or an item-level problem."""
        if isinstance(exc, RuleError):
            return self.error(response_code(exc), exc.message)
        if isinstance(exc, ItemError):
            return self.error(exc.code, exc.message)
        raise exc


def within_limit(req: EwsRequest, entries: list) -> tuple[list, int, str]:
    """The entries a request may name (``Limits.max_ids_per_request``), how many are past
    the limit, and the text for the first of those."""
    limit = req.rules.limits.max_ids_per_request
    over = max(0, len(entries) - limit)
    return entries[:limit], over, (f"The request names {len(entries)} items; this server processes at most "
                                   f"{limit} in one request.")


def require(parent: etree._Element, tag: str, name: str) -> etree._Element:
    el = parent.find(tag)
    if el is None:
        raise SchemaViolation(f"The element '{etree.QName(parent).localname}' is missing its required "
                              f"child '{name}'.", parent)
    return el


__all__ = ["EwsRequest", "Responses", "ServerState", "EwsFault", "require", "within_limit", "MAILBOX_ENV_KEY"]
