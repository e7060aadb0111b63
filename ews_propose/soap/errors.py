"""EWS error forms: request-level SOAP faults and per-item ResponseCodes."""

from __future__ import annotations

from spyne.model.fault import Fault

from ..rules import errors as R
from ..rules.errors import RuleError

_RESPONSE_WORD = {"accept": "Accept", "tentative": "Tentative", "decline": "Decline"}
# ErrorInvalidItemForOperation... as Microsoft's ResponseCodeType spells them (Tentative, not
# TentativelyAcceptItem).
_REPLY_ELEMENT = {"accept": "AcceptItem", "tentative": "Tentative", "decline": "DeclineItem",
                  "remove": "RemoveItem"}

# Rule reason -> EWS ResponseCode. "{R}" is Accept/Tentative/Decline, "{E}" the reply element.
_CODES = {
    R.ITEM_NOT_FOUND: "ErrorItemNotFound",
    R.ID_MALFORMED: "ErrorInvalidIdMalformed",
    R.FOLDER_NOT_FOUND: "ErrorFolderNotFound",
    R.MISSING_REFERENCE: "ErrorMissingInformationReferenceItemId",
    R.ORGANIZER_CANNOT_RESPOND: "ErrorCalendarIsOrganizerFor{R}",
    R.MEETING_CANCELLED: "ErrorCalendarIsCancelledFor{R}",
    R.REQUEST_OUT_OF_DATE: "ErrorCalendarMeetingRequestIsOutOfDate",
    R.NOT_A_MEETING: "ErrorInvalidItemForOperation{E}",
    # Project decisions (no public source): see README, "Assumed behaviours".
    R.PROPOSALS_NOT_ALLOWED: "ErrorInvalidOperation",
    R.PROPOSAL_INCOMPLETE: "ErrorInvalidRequest",
    R.END_BEFORE_START: "ErrorCalendarEndDateIsEarlierThanStartDate",
    R.STALE_CHANGE_KEY: "ErrorIrresolvableConflict",
    R.NOT_ORGANIZER: "ErrorInvalidPropertySet",
    R.INVALID_FIELD_VALUE: "ErrorInvalidPropertySet",
    R.FOLDER_EXISTS: "ErrorFolderExists",
    R.MOVE_INTO_ITSELF: "ErrorMoveCopyFailed",
    R.FOLDER_CLASS_CHANGED: "ErrorObjectTypeChanged",
    R.NOT_SENDABLE: "ErrorInvalidItemForOperationSendItem",
    R.NO_RECIPIENTS: "ErrorInvalidRecipients",
    R.INVALID_SYNC_STATE: "ErrorInvalidSyncStateData",
    R.ATTACHMENT_NOT_FOUND: "ErrorInvalidAttachmentId",
    R.SUBSCRIPTION_NOT_FOUND: "ErrorSubscriptionNotFound",
    R.INVALID_SUBSCRIPTION: "ErrorInvalidSubscription",
    R.INVALID_PULL_SUBSCRIPTION: "ErrorInvalidPullSubscriptionId",
    R.INBOX_RULE_INVALID: "ErrorInboxRulesValidationError",
    R.ITEM_SAVE: "ErrorItemSave",
    R.INVALID_ARGUMENT: "ErrorInvalidArgument",
    R.INVALID_WATERMARK: "ErrorInvalidWatermark",
    R.INVALID_EXPORT: "ErrorCorruptData",  # ResponseCodeType has no ErrorInvalidBase64
    R.TOO_MANY_RECIPIENTS: "ErrorInvalidRecipients",  # project decision: no dedicated EWS code
    R.DURATION_TOO_LONG: "ErrorCalendarDurationIsTooLong",
    R.TIMEOUT: "ErrorTimeoutExpired",
    R.INVALID_RECURRENCE: "ErrorCalendarInvalidRecurrence",
    R.OCCURRENCE_OUT_OF_RANGE: "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange",
    R.OCCURRENCE_DELETED: "ErrorCalendarOccurrenceIsDeletedFromRecurrence",
    R.NOT_RECURRING: "ErrorItemNotFound",
}
# A default folder cannot be deleted / moved / changed
_DISTINGUISHED_CODES = {"deleted": "ErrorDeleteDistinguishedFolder", "moved": "ErrorMoveDistinguishedFolder",
                        "changed": "ErrorInvalidOperation"}


def response_code(error: RuleError) -> str:
    if error.reason == R.DISTINGUISHED_FOLDER:
        return _DISTINGUISHED_CODES.get(str(error.details.get("action")), "ErrorInvalidOperation")
    template = _CODES.get(error.reason, "ErrorInternalServerError")
    response = str(error.details.get("response", "accept"))
    return template.format(R=_RESPONSE_WORD.get(response, "Accept"), E=_REPLY_ELEMENT.get(response, "AcceptItem"))


class ItemError(Exception):
    """A per-item error raised by the SOAP layer itself (not by a rule)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class EwsFault(Fault):
    """A request-level error, answered as an HTTP 500 SOAP fault in EWS's form."""

    def __init__(self, code: str, message: str, line: int | None = None, column: int | None = None,
                 violation: str | None = None, back_off_ms: int | None = None,
                 http_status: int = 500) -> None:
        super().__init__(faultcode=code, faultstring=message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.violation = violation
        self.back_off_ms = back_off_ms
        self.http_status = http_status


def schema_fault(message: str, line: int | None = None, column: int | None = None) -> EwsFault:
    return EwsFault(
        "ErrorSchemaValidation",
        "The request failed schema validation: " + message,
        line=line or 0,
        column=column or 0,
        violation=message,
    )
