"""GetInboxRules / UpdateInboxRules: a mailbox's Inbox rules (CreateRuleOperation,
SetRuleOperation, DeleteRuleOperation), kept by ``ews_propose.rules.inbox_rules``.

Conditions, exceptions and actions are kept as written, as a tree of plain values (element
name, attributes, text, children), and written back the same way. What is checked is
what Exchange checks when a rule is saved: the action and condition names of the schema,
folder ids that name a folder of this mailbox, recipients with an address,
ServerReplyWithMessage with an item id, and SendSMSAlertToRecipients refused as
``UnsupportedRule`` (Exchange no longer sends text messages). A refused operation is
``ErrorInboxRulesValidationError`` with its ``RuleOperationErrors``; none of the
operations of that request is applied.
"""

from __future__ import annotations

from lxml import etree

from ...rules.errors import RuleError
from ...rules.inbox_rules import Change, InboxRule, InboxRuleBook, RuleOperationError
from ..context import EwsRequest
from ..errors import ItemError, response_code
from ..trees import from_tree, to_tree
from ..xml import RESPONSE_NSMAP, M, SchemaViolation, T, localname, sub
from . import operation
from ._folders import resolve_folder

# RuleActionsType and RulePredicatesType of the EWS schema, in schema order.
ACTIONS = ("AssignCategories", "CopyToFolder", "Delete", "ForwardAsAttachmentToRecipients", "ForwardToRecipients",
           "MarkImportance", "MarkAsRead", "MoveToFolder", "PermanentDelete", "RedirectToRecipients",
           "SendSMSAlertToRecipients", "ServerReplyWithMessage", "StopProcessingRules")
PREDICATES = ("Categories", "ContainsBodyStrings", "ContainsHeaderStrings", "ContainsRecipientStrings",
              "ContainsSenderStrings", "ContainsSubjectOrBodyStrings", "ContainsSubjectStrings",
              "FlaggedForAction", "FromAddresses", "FromConnectedAccounts", "HasAttachments", "Importance",
              "IsApprovalRequest", "IsAutomaticForward", "IsAutomaticReply", "IsEncrypted", "IsMeetingRequest",
              "IsMeetingResponse", "IsNDR", "IsPermissionControlled", "IsReadReceipt", "IsSigned",
              "IsVoicemail", "ItemClasses", "MessageClassifications", "NotSentToMe", "SentCcMe", "SentOnlyToMe",
              "SentToAddresses", "SentToMe", "SentToOrCcMe", "Sensitivity", "WithinDateRange",
              "WithinSizeRange")
_RECIPIENT_ACTIONS = ("ForwardAsAttachmentToRecipients", "ForwardToRecipients", "RedirectToRecipients",
                      "SendSMSAlertToRecipients")
_VALIDATION = "A validation error occurred while executing the rule operation."


def _response(name: str) -> etree._Element:
    root = etree.Element(M + name + "Response", nsmap=RESPONSE_NSMAP, ResponseClass="Success")
    sub(root, M + "ResponseCode", "NoError")
    return root


def _error(name: str, code: str, text: str) -> etree._Element:
    root = etree.Element(M + name + "Response", nsmap=RESPONSE_NSMAP, ResponseClass="Error")
    sub(root, M + "MessageText", text)
    sub(root, M + "ResponseCode", code)
    sub(root, M + "DescriptiveLinkKey", "0")
    return root


def _own(req: EwsRequest, request) -> bool:
    address = (request.findtext(M + "MailboxSmtpAddress") or "").strip()
    return not address or address.lower() == req.actor.lower()


def GetInboxRules(req: EwsRequest, request):
    if not _own(req, request):
        return _error("GetInboxRules", "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    root = _response("GetInboxRules")
    sub(root, M + "OutlookRuleBlobExists", "false")
    rules = InboxRuleBook(req.rules.store).list(req.actor)
    if rules:
        holder = sub(root, M + "InboxRules")
        for rule in rules:
            _write_rule(holder, rule)
    return root


def UpdateInboxRules(req: EwsRequest, request):
    if not _own(req, request):
        return _error("UpdateInboxRules", "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    ops = request.find(M + "Operations")
    if ops is None or not len(ops):
        raise SchemaViolation("UpdateInboxRules needs Operations with one or more rule operations.", request)
    changes: list[Change] = []
    try:
        for index, op in enumerate(c for c in ops if isinstance(c.tag, str)):
            changes.append(_change(req, index, op))
        InboxRuleBook(req.rules.store).apply(req.actor, changes)
    except RuleOperationError as exc:
        root = _error("UpdateInboxRules", "ErrorInboxRulesValidationError", _VALIDATION)
        errors = sub(sub(root, M + "RuleOperationErrors"), T + "RuleOperationError")
        sub(errors, T + "OperationIndex", str(exc.details["index"]))
        error = sub(sub(errors, T + "ValidationErrors"), T + "Error")
        sub(error, T + "FieldURI", str(exc.details["field"]))
        sub(error, T + "ErrorCode", str(exc.details["code"]))
        sub(error, T + "ErrorMessage", str(exc.details["text"]))
        sub(error, T + "FieldValue", str(exc.details["value"]))
        return root
    except RuleError as exc:
        return _error("UpdateInboxRules", response_code(exc), exc.message)
    return _response("UpdateInboxRules")


def _change(req: EwsRequest, index: int, op) -> Change:
    name = localname(op)
    if name == "DeleteRuleOperation":
        rule_id = (op.findtext(T + "RuleId") or "").strip()
        if not rule_id:
            raise SchemaViolation("DeleteRuleOperation needs a RuleId.", op)
        return Change("delete", rule_id=rule_id)
    if name not in ("CreateRuleOperation", "SetRuleOperation"):
        raise SchemaViolation(f"The element '{name}' is not a rule operation (CreateRuleOperation, "
                              "SetRuleOperation, DeleteRuleOperation).", op)
    rule_el = op.find(T + "Rule")
    if rule_el is None:
        raise SchemaViolation(f"{name} needs a Rule.", op)
    rule = _read_rule(req, index, rule_el)
    if name == "SetRuleOperation":
        if not rule.id:
            raise RuleOperationError(index, "RuleId", "EmptyValueFound", "The rule id cannot be empty.")
        return Change("set", rule=rule)
    return Change("create", rule=rule)


def _read_rule(req: EwsRequest, index: int, el) -> InboxRule:
    priority_text = (el.findtext(T + "Priority") or "").strip()
    try:
        priority = int(priority_text)
    except ValueError:
        raise SchemaViolation(f"The value '{priority_text}' of element 'Priority' is not a valid integer.",
                              el) from None
    enabled = (el.findtext(T + "IsEnabled") or "true").strip() in ("true", "1")
    actions = el.find(T + "Actions")
    if actions is None:
        raise SchemaViolation("A Rule needs Actions.", el)
    for part, names in (("Conditions", PREDICATES), ("Exceptions", PREDICATES), ("Actions", ACTIONS)):
        holder = el.find(T + part)
        for child in holder if holder is not None else ():
            if isinstance(child.tag, str) and (child.tag[:len(T)] != T or localname(child) not in names):
                raise SchemaViolation(f"The element '{localname(child)}' is not allowed in {part}.", child)
    _check_actions(req, index, actions)
    return InboxRule((el.findtext(T + "DisplayName") or ""), priority, enabled,
                     to_tree(el.find(T + "Conditions")), to_tree(el.find(T + "Exceptions")), to_tree(actions),
                     (el.findtext(T + "RuleId") or "").strip())


def _check_actions(req: EwsRequest, index: int, actions) -> None:
    for action in actions:
        if not isinstance(action.tag, str):
            continue
        name = localname(action)
        uri = "Action:" + name
        if name == "SendSMSAlertToRecipients":
            raise RuleOperationError(index, uri, "UnsupportedRule",
                                     "The operation on this unsupported rule is not allowed.")
        if name == "ServerReplyWithMessage" and not (action.get("Id") or "").strip():
            raise RuleOperationError(index, uri, "InvalidValue", "Id must be non-empty.")
        if name in ("CopyToFolder", "MoveToFolder"):
            target = next((c for c in action if isinstance(c.tag, str)), None)
            if target is None:
                raise RuleOperationError(index, uri, "EmptyValueFound", "A folder id is needed.")
            try:
                resolve_folder(req, target)
            except (ItemError, RuleError):
                raise RuleOperationError(index, uri, "InvalidValue", "The folder was not found.",
                                         target.get("Id") or "") from None
        if name in _RECIPIENT_ACTIONS:
            addresses = [a for a in action if isinstance(a.tag, str)]
            if not addresses or any(not (a.findtext(T + "EmailAddress") or "").strip() for a in addresses):
                raise RuleOperationError(index, uri, "InvalidAddress", "Each recipient needs an email address.")


def _write_rule(holder, rule: InboxRule) -> None:
    el = sub(holder, T + "Rule")
    sub(el, T + "RuleId", rule.id)
    sub(el, T + "DisplayName", rule.display_name)
    sub(el, T + "Priority", str(rule.priority))
    sub(el, T + "IsEnabled", "true" if rule.is_enabled else "false")
    sub(el, T + "IsNotSupported", "false")
    sub(el, T + "IsInError", "false")
    for tree in (rule.conditions, rule.exceptions, rule.actions):
        if tree is not None:
            from_tree(el, tree)


services = [operation(GetInboxRules), operation(UpdateInboxRules)]
