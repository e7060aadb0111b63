"""Testing harness for code that talks EWS: an emulator per test, a request log, fault
injection, ready clients. The pytest fixtures are in :mod:`ews_propose.testing.plugin`,
registered through the ``pytest11`` entry point; importing this package never imports
pytest."""

from .emulator import Credentials, EwsEmulator, RecordedRequest, RequestLog
from .faults import FaultInjector, FaultRule
from .graph_faults import GraphCall, GraphFaults

__all__ = ["Credentials", "EwsEmulator", "FaultInjector", "FaultRule", "GraphCall", "GraphFaults",
           "RecordedRequest", "RequestLog"]
