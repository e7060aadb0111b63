"""What the client raises. Every error carries one line a person can act on."""

from __future__ import annotations


class EwsClientError(Exception):
    """Base class: anything the client reports as an expected failure."""


class NaiveDatetimeError(EwsClientError, ValueError):
    """A datetime without a zone was given: the client never guesses one."""


class EwsTransportError(EwsClientError):
    """The endpoint could not be reached, or refused the credentials (HTTP 401)."""


class EwsFaultError(EwsClientError):
    """A request-level SOAP fault (HTTP 500), e.g. ErrorSchemaValidation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class EwsResponseError(EwsClientError):
    """A per-item ``ResponseClass="Error"`` answer."""

    def __init__(self, code: str, message: str, operation: str = "") -> None:
        where = f"{operation}: " if operation else ""
        super().__init__(f"{where}{code}: {message}" if message else f"{where}{code}")
        self.code = code
        self.message = message
        self.operation = operation


class ProposalNotSupportedError(EwsClientError):
    """The server's build, the requested schema or the meeting cannot take a proposal."""


class ProposalOutdatedError(EwsClientError):
    """The meeting no longer sits at the time the proposal was made against."""


class NotFoundError(EwsClientError):
    """An item id the mailbox does not hold."""
