"""Meeting rules in plain Python: no XML, no HTTP. One engine serves every surface."""

from .engine import MeetingRules, NewItem, Reply, ReplyResult, View
from .errors import RuleError

__all__ = ["MeetingRules", "NewItem", "Reply", "ReplyResult", "View", "RuleError"]
