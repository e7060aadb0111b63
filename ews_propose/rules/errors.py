"""Why a meeting rule refused an action, in plain words.

Each surface maps a reason to its own error form (EWS ResponseCode, Graph error code).
"""

from __future__ import annotations


class RuleError(Exception):
    """An action the rules refuse. ``reason`` is one of the constants below."""

    def __init__(self, reason: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.details = details


ITEM_NOT_FOUND = "item_not_found"
ID_MALFORMED = "id_malformed"
FOLDER_NOT_FOUND = "folder_not_found"
MISSING_REFERENCE = "missing_reference"
ORGANIZER_CANNOT_RESPOND = "organizer_cannot_respond"
MEETING_CANCELLED = "meeting_cancelled"
REQUEST_OUT_OF_DATE = "request_out_of_date"
NOT_A_MEETING = "not_a_meeting"
PROPOSALS_NOT_ALLOWED = "proposals_not_allowed"
PROPOSAL_INCOMPLETE = "proposal_incomplete"
PROPOSAL_NOT_SENT = "proposal_not_sent"
END_BEFORE_START = "end_before_start"
STALE_CHANGE_KEY = "stale_change_key"
NOT_ORGANIZER = "not_organizer"
INVALID_FIELD_VALUE = "invalid_field_value"
FOLDER_EXISTS = "folder_exists"
DISTINGUISHED_FOLDER = "distinguished_folder"
MOVE_INTO_ITSELF = "move_into_itself"
FOLDER_CLASS_CHANGED = "folder_class_changed"
NOT_SENDABLE = "not_sendable"
NO_RECIPIENTS = "no_recipients"
INVALID_SYNC_STATE = "invalid_sync_state"
ATTACHMENT_NOT_FOUND = "attachment_not_found"
SUBSCRIPTION_NOT_FOUND = "subscription_not_found"
INVALID_WATERMARK = "invalid_watermark"
INVALID_EXPORT = "invalid_export"
TOO_MANY_RECIPIENTS = "too_many_recipients"
DURATION_TOO_LONG = "duration_too_long"
TIMEOUT = "timeout"  # the request spent its time budget (rules/budget.py)
INVALID_RECURRENCE = "invalid_recurrence"
OCCURRENCE_OUT_OF_RANGE = "occurrence_out_of_range"
OCCURRENCE_DELETED = "occurrence_deleted"
NOT_RECURRING = "not_recurring"
