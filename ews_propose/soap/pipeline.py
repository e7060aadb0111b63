"""The SOAP request pipeline: a lean spyne server for EWS.

spyne's own WSGI server (``spyne.server.wsgi.WsgiApplication``) builds, per request, a
WSGI transport context with every request header copied, a method context (about 60
attribute sets through spyne's ``__setattr__``), a copy of it per matched method, and
fires about 17 events around a parse, a deserialization, the call and a serialization
(docs/performance.md, "Round two", measured there). This application uses none of it:
operations take and return lxml elements, nothing listens to the events, there are no
auxiliary methods. So this server keeps what spyne is here for (the Application and its
method table, ``interface.service_method_map``, built from the operation modules' spyne
services; the protocol class ``EwsSoap11``, whose methods still parse, check the headers
and shape faults) and runs each request in a straight line:

parse -> envelope -> header (and the strict-schema check) -> the method the table names
-> one serialization, with the envelope around the answer written as fixed bytes and
the parts written as text (items, soap/raw.py) placed into it as they are.

Every operation goes through it; GetStreamingEvents, which answers with a stream, is
handed its own WSGI answer by ``ews_propose.soap.app`` as before.
"""

from __future__ import annotations

import logging

from lxml import etree
from spyne.error import ResourceNotFoundError
from spyne.server._base import ServerBase

from . import raw
from .protocol import EwsSoap11

log = logging.getLogger(__name__)

_HEADERS_CONTENT_TYPE = ("Content-Type", "text/xml; charset=utf-8")
# The operation's name, once the envelope is read, for those recording the call
# (app.operation_of reads it instead of parsing the request a second time).
OPERATION_ENV_KEY = "ews_propose.operation"


class Call:
    """What an operation and the protocol read of one request (spyne's method context
    carries these names; nothing else of it is used here)."""

    __slots__ = ("app", "transport", "in_string", "in_document", "in_header_doc", "in_body_doc",
                 "method_request_string", "in_header")

    def __init__(self, app, environ, data: bytes) -> None:
        self.app = app
        self.transport = _Transport(environ)
        self.in_string = data
        self.in_document = None
        self.in_header_doc = None
        self.in_body_doc = None
        self.method_request_string = None
        self.in_header = None


class _Transport:
    __slots__ = ("req_env",)

    def __init__(self, environ) -> None:
        self.req_env = environ


class EwsServer(ServerBase):
    """A spyne server over the EWS Application: one WSGI answer per SOAP request."""

    transport = "http://schemas.xmlsoap.org/soap/http"

    def __init__(self, app, protocol: EwsSoap11) -> None:
        super().__init__(app)
        self.protocol = protocol
        # The operation's function for each body element, from spyne's method table (one
        # method per element in this application).
        self.methods = {name: handles[0].function for name, handles in app.interface.service_method_map.items()
                        if handles}
        self._prefix = protocol.envelope_prefix()

    def answer(self, environ, start_response, data: bytes):
        """The WSGI answer to one SOAP request whose body is ``data`` (the caller has
        authenticated it and checked its size)."""
        call = Call(self.app, environ, data)
        protocol = self.protocol
        try:
            protocol.create_in_document(call)
            protocol.decompose_incoming_envelope(call)
            name = call.method_request_string.rpartition("}")[2]
            environ[OPERATION_ENV_KEY] = "GetUserAvailability" if name == "GetUserAvailabilityRequest" else name
            function = self.methods.get(call.method_request_string)
            if function is None:
                raise ResourceNotFoundError(call.method_request_string)
            protocol.read_in_header(call)
            parts = raw.collect()
            try:
                response = function(call, call.in_body_doc)
            finally:
                raw.stop()
            written = etree.tostring(response, encoding="utf-8", with_tail=False)
            body = self._prefix + (raw.splice(written, parts) if parts else written) + b"</s:Body></s:Envelope>"
            status = "200 OK"
        except Exception as exc:  # spyne Faults (EwsFault among them), and any defect
            error = protocol.fault_for(exc, call.method_request_string)
            status = protocol.fault_to_http_response_code(error if not isinstance(exc, ResourceNotFoundError)
                                                          else exc)
            body = protocol.fault_envelope(error)
        start_response(status, [_HEADERS_CONTENT_TYPE, ("Content-Length", str(len(body)))])
        return [body]
