"""EWS on SOAP 1.1 as a spyne protocol.

spyne keeps what it does well (dispatch on the body's first child, the method
context, WSGI hosting); this protocol owns the bytes: a hardened parse, EWS headers,
``s:/m:/t:`` prefixes, ``Z`` datetimes, each item under its own element name, and
faults shaped as Exchange shapes them. Operations receive the request element and
return the response element (lxml), so nothing passes through spyne's model layer.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from lxml import etree
from spyne.error import RequestTooLongError, ResourceNotFoundError
from spyne.protocol.soap import Soap11

from ..versions import Build, is_schema_version, schema_rank
from .errors import EwsFault, schema_fault
from .ews_operations import EWS_OPERATIONS
from .validation import check_request
from .xml import (
    ERRORS_NS,
    MISTAKEN_NAMESPACES,
    SOAP_NS,
    TYPES_NS,
    E,
    S,
    T,
    localname,
    position,
    sub,
)

log = logging.getLogger(__name__)

# Project decision: a request without RequestServerVersion is read as the oldest
# schema version, so it sees no 2013-only elements.
DEFAULT_REQUEST_SCHEMA = "Exchange2007"
_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)


@dataclass
class EwsHeader:
    schema: str
    time_zone: str | None = None
    culture: str | None = None
    impersonate: str | None = None  # ExchangeImpersonation's target, checked per caller


class _RawContext:
    """The few method-context fields the request checks read and write."""

    def __init__(self, data: bytes) -> None:
        self.in_string = data
        self.in_document = None
        self.in_header_doc = None
        self.in_body_doc = None
        self.method_request_string = None


class EwsSoap11(Soap11):
    mime_type = "text/xml; charset=utf-8"

    def __init__(self, build: Build, strict_schema: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.build = build
        # Validate every request against wsdl/ as its RequestServerVersion sees it
        # (ews_propose.schemas), before it reaches an operation.
        self.strict_schema = strict_schema
        self._parsers = threading.local()

    # --- request -------------------------------------------------------------------

    def create_in_document(self, ctx, charset=None):
        data = b"".join(ctx.in_string) if not isinstance(ctx.in_string, bytes) else ctx.in_string
        ctx.in_string = data  # joined once; read again below
        # DTDs are never part of SOAP; refusing them up front keeps entity tricks out.
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise schema_fault("DTDs and entity declarations are not allowed in a SOAP request.", 1, 1)
        if not data.strip():
            raise schema_fault("The request body is empty.", 0, 0)
        try:
            ctx.in_document = etree.fromstring(data, self._thread_parser())
        except etree.XMLSyntaxError as exc:
            line, column = exc.position if exc.position else (0, 0)
            raise schema_fault(f"The request is not well-formed XML: {exc.msg}", line, column) from None
        # The byte check above misses a DTD in another encoding (UTF-16, UTF-32); the
        # parser never loads or expands it, and here it is refused all the same.
        docinfo = ctx.in_document.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            ctx.in_document = None
            raise schema_fault("DTDs and entity declarations are not allowed in a SOAP request.", 1, 1)

    def _thread_parser(self) -> etree.XMLParser:
        # lxml parsers may not be shared between threads; one per thread, made once.
        parser = getattr(self._parsers, "parser", None)
        if parser is None:
            parser = self._parsers.parser = etree.XMLParser(**_PARSER_OPTIONS)
        return parser

    def decompose_incoming_envelope(self, ctx, message=None):
        root = ctx.in_document
        if b"https://schemas." in ctx.in_string:  # only then is a walk worth it
            self._refuse_mistaken_namespaces(root, ctx.in_string)
        if root.tag != S + "Envelope":
            raise schema_fault(
                f"The root element must be {{{SOAP_NS}}}Envelope, not {root.tag}.", *position(root, ctx.in_string)
            )
        header = root.find(S + "Header")
        body = root.find(S + "Body")
        if body is None or len(body) == 0:
            raise schema_fault("The SOAP envelope has no Body element with an operation.",
                               *position(root, ctx.in_string))
        operation = next((child for child in body if isinstance(child.tag, str)), None)
        if operation is None:
            raise schema_fault("The SOAP Body holds no operation element.", *position(body, ctx.in_string))
        ctx.in_header_doc = header
        ctx.in_body_doc = operation
        ctx.method_request_string = operation.tag

    @staticmethod
    def _refuse_mistaken_namespaces(root, data: bytes | None = None) -> None:
        for el in root.iter():
            tag = el.tag
            if isinstance(tag, str) and tag.startswith("{https://"):
                ns = tag[1:].split("}", 1)[0]
                if ns in MISTAKEN_NAMESPACES:
                    raise schema_fault(
                        f"The namespace '{ns}' of element '{localname(el)}' is not an EWS namespace: "
                        f"EWS namespaces use http://, not https:// (use '{MISTAKEN_NAMESPACES[ns]}').",
                        *position(el, data),
                    )

    def deserialize(self, ctx, message):
        self.event_manager.fire_event("before_deserialize", ctx)
        self.read_in_header(ctx)
        ctx.in_object = ctx.in_body_doc
        self.event_manager.fire_event("after_deserialize", ctx)

    def read_in_header(self, ctx) -> None:
        """The request's EWS header into ``ctx.in_header``, and (``strict_schema``) the
        operation element checked against the requested version's schema."""
        ctx.in_header = self._read_header(ctx.in_header_doc, ctx.in_string)
        if self.strict_schema:
            self._validate(ctx)

    @staticmethod
    def _validate(ctx) -> None:
        # Headers and body against the request version's schema (soap/validation.py).
        check_request(ctx.in_header_doc, ctx.in_body_doc, ctx.in_header.schema, ctx.in_string)

    def _read_header(self, header, data: bytes | None = None) -> EwsHeader:
        schema = DEFAULT_REQUEST_SCHEMA
        time_zone = culture = impersonate = None
        if header is None:
            return EwsHeader(schema)
        for el in header:
            if not isinstance(el.tag, str):
                continue
            if el.tag == T + "RequestServerVersion":
                requested = el.get("Version")
                if requested is None:
                    raise schema_fault("The required attribute 'Version' is missing.",
                                       *position(el, data))
                if requested == "Exchange2019":
                    raise EwsFault("ErrorInvalidRequest", "The request is invalid: there is no "
                                   "Exchange2019 schema version.")
                if not is_schema_version(requested):
                    raise EwsFault("ErrorInvalidServerVersion", "The specified server version is invalid.")
                if schema_rank(requested) > schema_rank(self.build.newest_schema):
                    raise EwsFault(
                        "ErrorInvalidServerVersion",
                        f"The specified server version is invalid: build {self.build} "
                        f"supports up to {self.build.newest_schema}.",
                    )
                schema = requested
            elif el.tag == T + "TimeZoneContext":
                definition = el.find(T + "TimeZoneDefinition")
                if definition is not None:
                    time_zone = definition.get("Id")
            elif el.tag == T + "MailboxCulture":
                culture = (el.text or "").strip()
            elif el.tag == T + "ExchangeImpersonation":
                sid = el.find(T + "ConnectingSID")
                target = None
                if sid is not None:
                    target = next((c.text for c in sid if isinstance(c.tag, str) and c.tag in (
                        T + "PrimarySmtpAddress", T + "SmtpAddress", T + "PrincipalName")), None)
                if not target or not target.strip():
                    raise schema_fault("ExchangeImpersonation needs ConnectingSID with PrimarySmtpAddress, "
                                       "SmtpAddress or PrincipalName.", *position(el, data))
                impersonate = target.strip()
        return EwsHeader(schema, time_zone, culture, impersonate)

    # --- response ------------------------------------------------------------------

    def serialize(self, ctx, message):
        self.event_manager.fire_event("before_serialize", ctx)
        envelope = etree.Element(S + "Envelope", nsmap={"s": SOAP_NS})
        if ctx.out_error is not None:
            # Faults carry no SOAP header, as Exchange sends them (published traces of
            # ErrorSchemaValidation, ErrorInvalidServerVersion, ErrorServerBusy, ...).
            body = sub(envelope, S + "Body")
            body.append(self.fault_element(self.fault_for(ctx.out_error, ctx.method_request_string)))
        else:
            self._server_version_info(envelope)
            body = sub(envelope, S + "Body")
            body.append(ctx.out_object[0])
        ctx.out_document = envelope
        self.event_manager.fire_event("after_serialize", ctx)

    @staticmethod
    def fault_for(error, method_request_string: str | None):
        """The error a request's fault reports: an unknown body element becomes
        ErrorInvalidOperation or ErrorInvalidRequest; anything else as it is."""
        if not isinstance(error, ResourceNotFoundError):
            return error
        operation = etree.QName(method_request_string or "{}?").localname
        if operation in EWS_OPERATIONS:
            # Not ErrorInvalidRequest: clients read that as "wrong schema version"
            # and send the call again under every other version (exchangelib: ten).
            return EwsFault("ErrorInvalidOperation", "The request is invalid: this server does not "
                            f"support the operation '{operation}'.")
        return EwsFault("ErrorInvalidRequest", f"The request is invalid: '{operation}' is not "
                        "an EWS operation.")

    def envelope_prefix(self) -> bytes:
        """The bytes of every successful answer before its body element (the XML
        declaration, the envelope, ServerVersionInfo), as :meth:`envelope` writes them;
        ``</s:Body></s:Envelope>`` follows the element."""
        envelope = etree.Element(S + "Envelope", nsmap={"s": SOAP_NS})
        self._server_version_info(envelope)
        sub(sub(envelope, S + "Body"), S + "Mark")
        whole = etree.tostring(envelope, encoding="utf-8", xml_declaration=True)
        prefix, mark, rest = whole.partition(b"<s:Mark/>")
        if not mark or rest != b"</s:Body></s:Envelope>":
            raise AssertionError(f"unexpected envelope bytes: {whole!r}")
        return prefix

    def _server_version_info(self, envelope) -> None:
        """The server's own build and Version string (versions.server_version_string),
        whatever schema version the request asked for, as real servers answer."""
        b = self.build
        head = sub(envelope, S + "Header")
        info = etree.SubElement(head, T + "ServerVersionInfo", nsmap={"h": TYPES_NS})
        info.set("MajorVersion", str(b.major))
        info.set("MinorVersion", str(b.minor))
        info.set("MajorBuildNumber", str(b.build))
        info.set("MinorBuildNumber", str(b.revision))
        info.set("Version", b.version_string)

    def fault_element(self, error) -> etree._Element:
        if isinstance(error, EwsFault):
            fault = error
        elif isinstance(error, RequestTooLongError):
            fault = EwsFault("ErrorRequestStreamTooBig", "The request is too large.", http_status=413)
        else:
            log.error("internal error answered as ErrorInternalServerError: %r", error)
            fault = EwsFault("ErrorInternalServerError", "An internal server error occurred. The operation failed.")
        el = etree.Element(S + "Fault")
        # faultcode is a QName whose prefix must be bound on the element itself.
        code = etree.SubElement(el, "faultcode", nsmap={"a": TYPES_NS})
        code.text = "a:" + fault.code
        fs = sub(el, "faultstring", fault.message)
        fs.set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
        detail = sub(el, "detail")
        etree.SubElement(detail, E + "ResponseCode", nsmap={"e": ERRORS_NS}).text = fault.code
        etree.SubElement(detail, E + "Message", nsmap={"e": ERRORS_NS}).text = fault.message
        if fault.line is not None or fault.back_off_ms is not None:
            xml = etree.SubElement(detail, T + "MessageXml", nsmap={"t": TYPES_NS})
            if fault.line is not None:
                sub(xml, T + "LineNumber", str(fault.line))
                sub(xml, T + "LinePosition", str(fault.column or 0))
                sub(xml, T + "Violation", fault.violation or fault.message)
            if fault.back_off_ms is not None:
                value = sub(xml, T + "Value", str(fault.back_off_ms))
                value.set("Name", "BackOffMilliseconds")
        return el

    def fault_envelope(self, fault: EwsFault, header: EwsHeader | None = None) -> bytes:
        """A whole fault answer for faults raised outside spyne (request-size limit,
        injected faults): like every fault, without a SOAP header. ``header`` is kept for
        callers that pass the request's; a fault's shape does not depend on it."""
        envelope = etree.Element(S + "Envelope", nsmap={"s": SOAP_NS})
        sub(envelope, S + "Body").append(self.fault_element(fault))
        return etree.tostring(envelope, encoding="utf-8", xml_declaration=True)

    def read_request(self, data: bytes) -> tuple[EwsHeader, etree._Element]:
        """The header and operation element of a raw request, checked as spyne's path
        checks them (for operations served outside spyne: GetStreamingEvents)."""
        ctx = _RawContext(data)
        self.create_in_document(ctx)
        self.decompose_incoming_envelope(ctx)
        return self._read_header(ctx.in_header_doc), ctx.in_body_doc

    def envelope(self, element: etree._Element, header: EwsHeader | None) -> bytes:
        """A whole answer around one body element (a response or a fault)."""
        envelope = etree.Element(S + "Envelope", nsmap={"s": SOAP_NS})
        self._server_version_info(envelope)
        sub(envelope, S + "Body").append(element)
        return etree.tostring(envelope, encoding="utf-8", xml_declaration=True)

    def header_of(self, request: bytes) -> EwsHeader | None:
        """The EWS header of a raw request, when it parses and is valid."""
        try:
            root = etree.fromstring(request, self._thread_parser())
            return self._read_header(root.find(S + "Header"))
        except (etree.XMLSyntaxError, EwsFault, ValueError):
            return None

    def fault_to_http_response_code(self, fault):
        status = getattr(fault, "http_status", 500)
        return {500: "500 Internal Server Error", 503: "503 Service Unavailable",
                413: "413 Request Entity Too Large"}.get(status, "500 Internal Server Error")

    def create_out_string(self, ctx, charset=None):
        ctx.out_string = [etree.tostring(ctx.out_document, encoding="utf-8", xml_declaration=True)]
