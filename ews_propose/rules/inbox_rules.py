"""A mailbox's Inbox rules (GetInboxRules / UpdateInboxRules): kept per mailbox in the
store, in priority order.

A rule is its display name, priority, whether it is enabled, and its conditions,
exceptions and actions. Those three are kept as the surface hands them over (a tree of
plain values: this module does not read them), so a rule comes back as it was written.
The rules are kept, not run: mail delivered here is not moved, flagged or forwarded by
them (docs/ews-breadth.md).

Priorities are 1..N without gaps, as Exchange keeps them: a new or changed rule takes
the place its priority asks for (or the last one), the others move up or down.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

from ..store.base import Store
from . import errors as E
from .errors import RuleError

_KEY = "inbox-rules"


@dataclass
class InboxRule:
    display_name: str
    priority: int
    is_enabled: bool = True
    conditions: Any = None
    exceptions: Any = None
    actions: Any = None
    id: str = ""

    def to_record(self) -> dict:
        return {"id": self.id, "display_name": self.display_name, "priority": self.priority,
                "is_enabled": self.is_enabled, "conditions": self.conditions, "exceptions": self.exceptions,
                "actions": self.actions}

    @classmethod
    def from_record(cls, record: dict) -> InboxRule:
        return cls(record["display_name"], int(record["priority"]), bool(record["is_enabled"]),
                   record.get("conditions"), record.get("exceptions"), record.get("actions"), record["id"])


@dataclass
class Change:
    """One operation of UpdateInboxRules: create, set or delete."""

    kind: str  # create | set | delete
    rule: InboxRule | None = None
    rule_id: str = ""


class RuleOperationError(RuleError):
    """An operation of UpdateInboxRules the rules refuse: which one (its index), on which
    field, with which of Exchange's rule validation codes."""

    def __init__(self, index: int, field_uri: str, code: str, message: str, value: str = "") -> None:
        super().__init__(E.INBOX_RULE_INVALID, "A validation error occurred while executing the rule operation.",
                         index=index, field=field_uri, code=code, text=message, value=value)


class InboxRuleBook:
    def __init__(self, store: Store) -> None:
        self.store = store

    def list(self, actor: str) -> list[InboxRule]:
        with self.store.transaction(write=False) as tx:
            records = tx.get_setting(actor, _KEY) or []
        return [InboxRule.from_record(r) for r in records]

    def apply(self, actor: str, changes: list[Change]) -> None:
        """All of ``changes`` or none of them (a refused one is a RuleOperationError)."""
        with self.store.transaction() as tx:
            rules = [InboxRule.from_record(r) for r in (tx.get_setting(actor, _KEY) or [])]
            for index, change in enumerate(changes):
                rules = self._one(rules, index, change)
            tx.put_setting(actor, _KEY, [r.to_record() for r in rules])

    def _one(self, rules: list[InboxRule], index: int, change: Change) -> list[InboxRule]:
        if change.kind == "delete":
            if not any(r.id == change.rule_id for r in rules):
                raise RuleOperationError(index, "RuleId", "RuleNotFound", "The rule was not found.", change.rule_id)
            return _renumber([r for r in rules if r.id != change.rule_id])
        rule = change.rule
        assert rule is not None
        if not rule.display_name.strip():
            raise RuleOperationError(index, "DisplayName", "EmptyValueFound", "The display name cannot be empty.")
        if rule.priority < 1:
            raise RuleOperationError(index, "Priority", "InvalidValue", "The priority must be 1 or more.",
                                     str(rule.priority))
        if change.kind == "set":
            if not any(r.id == rule.id for r in rules):
                raise RuleOperationError(index, "RuleId", "RuleNotFound", "The rule was not found.", rule.id)
            rules = [r for r in rules if r.id != rule.id]
        else:
            rule.id = base64.b64encode(b"\x05EP" + os.urandom(12)).decode("ascii")
        place = min(rule.priority, len(rules) + 1) - 1
        return _renumber([*rules[:place], rule, *rules[place:]])


def _renumber(rules: list[InboxRule]) -> list[InboxRule]:
    for number, rule in enumerate(rules, start=1):
        rule.priority = number
    return rules
