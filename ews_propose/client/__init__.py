"""The EWS client for the propose-new-time workflow, on zeep and the project's wsdl/.

    from ews_propose.client import EwsClient
    adele = EwsClient("http://127.0.0.1:8765/EWS/Exchange.asmx",
                      user="AdeleV@contoso.com", password="adele-demo-pw")
    request = adele.meeting_requests()[0]
    if adele.can_propose(request):
        adele.propose_new_time(request, start, end, comment="Tomorrow?")
"""

from .core import EwsClient
from .errors import (
    EwsClientError,
    EwsFaultError,
    EwsResponseError,
    EwsTransportError,
    NaiveDatetimeError,
    NotFoundError,
    ProposalNotSupportedError,
    ProposalOutdatedError,
)
from .models import (
    AcceptResult,
    Attendee,
    AttendeeAvailability,
    Availability,
    BusyEvent,
    ItemRef,
    Meeting,
    MeetingRequest,
    Occurrence,
    Person,
    Proposal,
    ReplyResult,
    Suggestion,
)

__all__ = [
    "AcceptResult", "Attendee", "AttendeeAvailability", "Availability", "BusyEvent",
    "EwsClient", "EwsClientError", "EwsFaultError", "EwsResponseError", "EwsTransportError",
    "ItemRef", "Meeting", "MeetingRequest", "NaiveDatetimeError", "NotFoundError", "Occurrence", "Person",
    "Proposal", "ProposalNotSupportedError", "ProposalOutdatedError", "ReplyResult", "Suggestion",
]
