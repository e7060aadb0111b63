"""One mailbox's line to an EWS endpoint: zeep over the project's own wsdl/, the
credentials, the requested schema version, ServerVersionInfo, and EWS errors turned
into exceptions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
import zeep
from lxml import etree
from zeep.exceptions import Fault, TransportError
from zeep.plugins import Plugin
from zeep.transports import Transport

from ..resources import wsdl_dir
from ..versions import Build, is_schema_version
from .errors import EwsFaultError, EwsResponseError, EwsTransportError

BINDING = "{http://schemas.microsoft.com/exchange/services/2006/messages}ExchangeServiceBinding"
NS = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
    "t": "http://schemas.microsoft.com/exchange/services/2006/types",
    "e": "http://schemas.microsoft.com/exchange/services/2006/errors",
}
DEFAULT_SCHEMA = "Exchange2013"
# Connecting (TCP and the TLS handshake) is quick on every real server; a handshake that
# gets no answer is an https:// URL pointed at a plain-HTTP server, which never replies.
CONNECT_TIMEOUT_S = 10.0


def check_endpoint(endpoint: str) -> str:
    """An EWS URL must be absolute http(s); anything else is refused before a request."""
    parts = urlsplit(endpoint or "")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"endpoint {endpoint!r} is not an http:// or https:// URL, e.g. "
                         "http://127.0.0.1:8765/EWS/Exchange.asmx")
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ValueError(f"endpoint {endpoint!r} has an invalid port") from None
    return endpoint


class EnvelopeCapture(Plugin):
    """Keeps the last envelope received on this thread. zeep maps an empty element such
    as ``<t:ProposeNewTime/>`` to None, exactly as it maps a missing one, so presence
    can only be read from the XML itself."""

    def __init__(self) -> None:
        self._local = threading.local()

    def ingress(self, envelope, http_headers, operation):
        self._local.envelope = envelope
        return envelope, http_headers

    @property
    def last(self) -> etree._Element | None:
        return getattr(self._local, "envelope", None)


class _VerifyingTransport(Transport):
    """zeep's transport, with the certificate check passed on every request: a verify
    set only on the requests Session loses to REQUESTS_CA_BUNDLE in the environment."""

    def __init__(self, *args: Any, verify: bool | str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.verify = verify

    def post(self, address, message, headers):
        return self.session.post(address, data=message, headers=headers,
                                 timeout=self.operation_timeout, verify=self.verify)


class Session:
    """zeep client plus what EWS needs around it."""

    def __init__(self, endpoint: str, *, user: str | None = None, password: str | None = None,
                 token: str | None = None, schema_version: str = DEFAULT_SCHEMA,
                 timeout: float = 60.0, http: requests.Session | None = None,
                 ca_file: str | None = None) -> None:
        """``ca_file``: a PEM file of the CA(s) to trust for an https:// endpoint (e.g.
        the one ``ews-propose serve --tls`` prints), instead of the system's."""
        if not is_schema_version(schema_version):
            raise ValueError(f"unknown EWS schema version {schema_version!r} (e.g. Exchange2013)")
        if token is None and user is None:
            raise ValueError("give either user and password (HTTP Basic) or a bearer token")
        self.endpoint = check_endpoint(endpoint)
        self.schema_version = schema_version
        self.http = http or requests.Session()
        if token is not None:
            self.http.headers["Authorization"] = f"Bearer {token}"
        else:
            self.http.auth = (user, password or "")
        self.user = user
        self.capture = EnvelopeCapture()
        options = dict(session=self.http, timeout=timeout,
                       operation_timeout=(min(CONNECT_TIMEOUT_S, timeout), timeout))
        transport = _VerifyingTransport(**options, verify=ca_file) if ca_file else Transport(**options)
        # xml_huge_tree: a batched GetItem of many items is a large document.
        settings = zeep.Settings(xml_huge_tree=True)
        self.zeep = zeep.Client(str(wsdl_dir() / "Services.wsdl"), transport=transport,
                                plugins=[self.capture], settings=settings)
        self.service = self.zeep.create_service(BINDING, endpoint)
        self.server_build: Build | None = None
        self.server_version: str | None = None
        self.round_trips = 0

    def has_operation(self, name: str) -> bool:
        return name in self.service._binding._operations

    def call(self, operation: str, **request: Any) -> Any:
        """Post one request; return zeep's result. Raises on transport errors and faults."""
        if not self.has_operation(operation):
            raise EwsFaultError("ErrorInvalidRequest",
                                f"{operation} is not in this client's wsdl/ ({wsdl_dir()})")
        headers = {"RequestServerVersion": {"Version": self.schema_version}}
        self.round_trips += 1
        try:
            result = getattr(self.service, operation)(**request, _soapheaders=headers)
        except Fault as fault:
            raise _fault_error(fault) from None
        except TransportError as exc:
            if exc.status_code == 401:
                raise EwsTransportError(f"{self.endpoint}: the server refused the credentials "
                                        "(HTTP 401)") from None
            raise EwsTransportError(f"{self.endpoint}: HTTP {exc.status_code}") from None
        except requests.exceptions.SSLError as exc:
            raise EwsTransportError(f"{self.endpoint}: TLS failed ({_tls_reason(exc)})") from None
        except requests.ConnectTimeout:
            hint = (": no answer to the TLS handshake; is it a plain-HTTP server (try http://)?"
                    if self.endpoint.lower().startswith("https:") else "")
            raise EwsTransportError(f"cannot connect to {self.endpoint} within "
                                    f"{CONNECT_TIMEOUT_S:g} s{hint}") from None
        except requests.ConnectionError:
            raise EwsTransportError(f"cannot reach {self.endpoint} (connection refused or "
                                    "reset: is the server running?)") from None
        except requests.Timeout:
            raise EwsTransportError(f"{self.endpoint} did not answer in time") from None
        self._read_version(result)
        return result

    def _read_version(self, result: Any) -> None:
        header = getattr(result, "header", None)
        info = getattr(header, "ServerVersionInfo", None) if header is not None else None
        if info is None or info.MajorVersion is None:
            return
        self.server_build = Build(info.MajorVersion, info.MinorVersion or 0,
                                  info.MajorBuildNumber or 0, info.MinorBuildNumber or 0)
        self.server_version = info.Version

    def messages(self, operation: str, **request: Any) -> list[Any]:
        """The response messages of one call, each unwrapped from its element name."""
        result = self.call(operation, **request)
        return [next(iter(m.values())) for m in result.body.ResponseMessages._value_1]


def each_ok(messages: list[Any], operation: str) -> Iterator[Any]:
    """The messages, raising on the first per-item error."""
    for msg in messages:
        check(msg, operation)
        yield msg


def check(msg: Any, operation: str) -> Any:
    if msg.ResponseClass == "Error":
        raise EwsResponseError(msg.ResponseCode or "Error", msg.MessageText or "", operation)
    return msg


def items_of(msg: Any) -> list[tuple[str, Any]]:
    """(element name, zeep object) for each item of a message's Items."""
    items = getattr(msg, "Items", None)
    if items is None:
        return []
    out = []
    for entry in items._value_1 or []:
        name, value = next(iter(entry.items()))
        out.append((name, value))
    return out


def _tls_reason(exc: Exception) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "the server's certificate is not trusted; pass the CA file"
    if any(sign in text for sign in ("WRONG_VERSION_NUMBER", "record layer failure", "EOF", "reset")):
        return "the server does not speak TLS there; try http://"
    return text.rsplit(":", 1)[-1].strip(" ')\"") or "handshake failed"


def _fault_error(fault: Fault) -> EwsFaultError:
    code = (fault.code or "").split(":")[-1] or "Fault"
    message = fault.message or ""
    detail = fault.detail
    if detail is not None:
        found = detail.find(f".//{{{NS['e']}}}ResponseCode")
        if found is not None and found.text:
            code = found.text
        text = detail.find(f".//{{{NS['e']}}}Message")
        if text is not None and text.text:
            message = text.text
    return EwsFaultError(code, message)
