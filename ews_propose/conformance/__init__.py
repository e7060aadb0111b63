"""The conformance suite: named checks of the propose-new-time workflow against any EWS
endpoint, over the public wire only (raw SOAP, HTTP Basic, HTTP or HTTPS).

``ews-propose conformance --endpoint URL --organizer SMTP --attendee SMTP`` runs it; see
the README, "Testing your integration"."""

from .checks import CHECKS, PROJECT_DECISION, PUBLIC, Check
from .run import Target
from .runner import ERROR, FAIL, PASS, SKIP, Report, Result, run_suite

__all__ = ["CHECKS", "Check", "ERROR", "FAIL", "PASS", "PROJECT_DECISION", "PUBLIC", "Report", "Result",
           "SKIP", "Target", "run_suite"]
