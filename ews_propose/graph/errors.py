"""Graph's error form: ``{"error": {"code", "message", "innerError": {...}}}``, and the
mapping of the meeting rules' refusals onto it."""

from __future__ import annotations

from ..rules import errors as E
from ..rules.errors import RuleError


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


NOT_FOUND_MESSAGE = "The specified object was not found in the store."


def not_found() -> GraphError:
    return GraphError(404, "ErrorItemNotFound", NOT_FOUND_MESSAGE)


# reason -> (HTTP status, Graph code); the message is the rule's own.
_RULES: dict[str, tuple[int, str]] = {
    E.ITEM_NOT_FOUND: (404, "ErrorItemNotFound"),
    E.FOLDER_NOT_FOUND: (404, "ErrorItemNotFound"),
    E.ID_MALFORMED: (400, "ErrorInvalidIdMalformed"),
    E.MISSING_REFERENCE: (400, "ErrorInvalidRequest"),
    E.ORGANIZER_CANNOT_RESPOND: (400, "ErrorInvalidRequest"),
    E.MEETING_CANCELLED: (400, "ErrorInvalidRequest"),
    E.REQUEST_OUT_OF_DATE: (400, "ErrorCalendarMeetingRequestIsOutOfDate"),
    E.NOT_A_MEETING: (400, "ErrorInvalidRequest"),
    E.PROPOSALS_NOT_ALLOWED: (400, "ErrorInvalidRequest"),
    E.PROPOSAL_INCOMPLETE: (400, "ErrorInvalidRequest"),
    E.PROPOSAL_NOT_SENT: (400, "ErrorInvalidRequest"),
    E.END_BEFORE_START: (400, "ErrorPropertyValidationFailure"),
    E.STALE_CHANGE_KEY: (412, "ErrorIrresolvableConflict"),
    E.NOT_ORGANIZER: (400, "ErrorInvalidRequest"),
    E.INVALID_FIELD_VALUE: (400, "ErrorInvalidProperty"),
    E.TIMEOUT: (504, "ErrorTimeoutExpired"),
}


def from_rule(exc: RuleError) -> GraphError:
    status, code = _RULES.get(exc.reason, (400, "ErrorInvalidRequest"))
    message = NOT_FOUND_MESSAGE if status == 404 else exc.message
    return GraphError(status, code, message)
