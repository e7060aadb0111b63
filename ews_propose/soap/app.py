"""The WSGI application: routes, HTTP Basic auth, request-size limit, the WSDL and
schemas, and the spyne SOAP application behind them."""

from __future__ import annotations

import base64
import binascii
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree
from spyne import Application
from spyne.evmgr import EventManager

from ..autodiscover import AutodiscoverService
from ..directory import Directory, Mailbox
from ..hosts import request_host
from ..resources import WSDL_FILES, wsdl_dir
from ..rules.engine import MeetingRules
from ..rules.limits import DEFAULT_LIMITS, Limits
from ..store.base import Store
from ..versions import Build
from .context import MAILBOX_ENV_KEY, ServerState
from .errors import EwsFault
from .operations import all_services, get_streaming_events
from .pipeline import OPERATION_ENV_KEY, EwsServer
from .protocol import EwsSoap11
from .xml import MESSAGES_NS

log = logging.getLogger(__name__)

EWS_PATH = "/ews/exchange.asmx"
REALM = "ews-propose"
DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024


@dataclass
class Exchange:
    """One SOAP call as it crossed the wire."""

    operation: str | None
    mailbox: str | None
    request: bytes
    status: int
    response: bytes


Observer = Callable[[Exchange], None]


class EwsApplication:
    """WSGI callable serving ``/EWS/Exchange.asmx`` and ``/EWS/Services.wsdl``."""

    def __init__(self, store: Store, directory: Directory, build: Build,
                 max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
                 observer: Observer | None = None, limits: Limits = DEFAULT_LIMITS,
                 strict_schema: bool = True) -> None:
        self.observer = observer
        self.directory = directory
        self.build = build
        self.rules = MeetingRules(store, directory, limits=limits)
        self.max_request_bytes = max_request_bytes
        self.protocol = EwsSoap11(build, strict_schema)
        spyne_app = Application(
            all_services(),
            tns=MESSAGES_NS,
            name="ExchangeServices",
            in_protocol=self.protocol,
            out_protocol=EwsSoap11(build, strict_schema),
        )
        spyne_app.ews = self.state = ServerState(self.rules, directory, build)
        # spyne's Application holds the method table; EwsServer runs each request
        # (soap/pipeline.py; spyne's WsgiApplication, its method contexts and its
        # per-request gc.collect() are not used).
        self.soap = EwsServer(spyne_app, self.protocol)
        _quiet_events(spyne_app, self.soap)
        self._static = {name.lower(): (wsdl_dir() / name).read_bytes() for name in WSDL_FILES}
        self.autodiscover = AutodiscoverService(directory, build, REALM, max_request_bytes)

    def __call__(self, environ, start_response):
        if self.observer is None:
            return self._route(environ, start_response)
        return self._observed(environ, start_response)

    def _observed(self, environ, start_response):
        """Record the call for the observer (tests, the pytest plugin)."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        request = environ["wsgi.input"].read(length) if 0 < length <= self.max_request_bytes else b""
        environ["wsgi.input"] = io.BytesIO(request)
        seen: dict[str, str] = {}

        def recording_start_response(status, headers, exc_info=None):
            seen["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        answer = self._route(environ, recording_start_response)
        if (environ.get("PATH_INFO") or "").lower() != EWS_PATH or environ.get("REQUEST_METHOD") != "POST":
            return answer
        if not getattr(answer, "streamed", False):
            body = b"".join(answer)
            self._record(environ, request, seen, body)
            return [body]
        return Streamed(self._recorded_stream(environ, request, seen, answer))

    def _record(self, environ, request: bytes, seen: dict, body: bytes) -> None:
        self.observer(Exchange(call_operation(environ, request), environ.get(MAILBOX_ENV_KEY), request,
                               int(seen.get("status", "500").split()[0]), body))

    def _recorded_stream(self, environ, request: bytes, seen: dict, answer):
        """A streamed answer (GetStreamingEvents) passed on part by part, recorded whole
        when it ends (or the client leaves)."""
        parts: list[bytes] = []
        try:
            for part in answer:
                parts.append(part)
                yield part
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
            self._record(environ, request, seen, b"".join(parts))

    def _route(self, environ, start_response):
        path = (environ.get("PATH_INFO") or "/").lower()
        method = environ.get("REQUEST_METHOD", "GET").upper()
        query = (environ.get("QUERY_STRING") or "").lower()
        if self.autodiscover.handles(path):  # POX and SOAP Autodiscover, same auth
            return self.autodiscover(environ, start_response, self.authenticate)
        if method in ("GET", "HEAD"):
            name = path.rsplit("/", 1)[-1]
            if path.startswith("/ews/") and name in self._static:
                return self._wsdl(environ, start_response, name)
            if path == EWS_PATH and query == "wsdl":
                return self._wsdl(environ, start_response, "services.wsdl")
        if path != EWS_PATH:
            return _plain(start_response, "404 Not Found", b"Not found\n")
        if method != "POST":
            return _plain(start_response, "405 Method Not Allowed", b"EWS takes SOAP requests by POST\n",
                          [("Allow", "POST")])
        mailbox = self.authenticate(environ)
        if mailbox is None:
            return _plain(start_response, "401 Unauthorized", b"401 Unauthorized\n",
                          [("WWW-Authenticate", f'Basic realm="{REALM}"'), ("WWW-Authenticate", "Bearer")])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_request_bytes:
            fault = EwsFault("ErrorRequestStreamTooBig", f"The request is larger than this server's limit of "
                             f"{self.max_request_bytes} bytes.", http_status=413)
            return self._fault(start_response, fault)
        environ[MAILBOX_ENV_KEY] = mailbox.smtp
        # spyne logs every request header at DEBUG; the credentials have done their job.
        environ.pop("HTTP_AUTHORIZATION", None)
        if environ.get("HTTP_X_PREFERSERVERAFFINITY", "").lower() == "true":
            start_response = _with_affinity(start_response, self.build)
        body = b""
        if length > 0:
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
        elif "CONTENT_LENGTH" not in environ:  # as spyne read it: up to the limit
            body = environ["wsgi.input"].read(self.max_request_bytes)
        try:
            if get_streaming_events.OPERATION.encode() in body[:4096] and \
                    operation_of(body) == get_streaming_events.OPERATION:
                return get_streaming_events.serve(self.state, self.protocol, environ, start_response, body)
            return self.soap.answer(environ, start_response, body)
        except Exception:
            # Last resort: whatever escaped spyne is still answered as an EWS fault.
            log.exception("unhandled error outside the operation")
            return self._fault(start_response, EwsFault(
                "ErrorInternalServerError", "An internal server error occurred. The operation failed."))

    def authenticate(self, environ) -> Mailbox | None:
        """The mailbox whose Basic credentials or bearer token the request carries."""
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return self.directory.authenticate_token(value.strip())
        if scheme.lower() != "basic" or not value:
            return None
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):  # ValueError: non-ASCII base64
            return None
        if "\\" in user:  # DOMAIN\user
            user = user.split("\\", 1)[1]
        return self.directory.authenticate(user, password)

    def _wsdl(self, environ, start_response, name):
        body = self._static[name]
        if name == "services.wsdl":
            host = request_host(environ)
            scheme = environ.get("wsgi.url_scheme", "http")
            body = body.replace(b"https://localhost/EWS/Exchange.asmx",
                                f"{scheme}://{host}/EWS/Exchange.asmx".encode())
        content_type = "text/xml; charset=utf-8"
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def _fault(self, start_response, fault: EwsFault):
        body = self.protocol.fault_envelope(fault)
        start_response(self.protocol.fault_to_http_response_code(fault),
                       [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]


class Streamed:
    """A streamed WSGI answer (GetStreamingEvents) passed through a middleware: marked so
    that the next one out passes its parts on too instead of joining them."""

    streamed = True

    def __init__(self, parts) -> None:
        self._parts = parts

    def __iter__(self):
        return iter(self._parts)

    def close(self) -> None:
        close = getattr(self._parts, "close", None)
        if close is not None:
            close()


class _QuietEventManager(EventManager):
    """spyne's event manager, minus an empty ordered set built for every event fired
    (about 17 a request, none of them listened to here): a third of spyne's cost."""

    def fire_event(self, event_name, ctx, *args, **kwargs):
        handlers = self.handlers.get(event_name)
        if handlers:
            for handler in handlers:
                handler(ctx, *args, **kwargs)


def _quiet_events(spyne_app: Application, server: EwsServer) -> None:
    owners = [spyne_app, server, spyne_app.in_protocol, spyne_app.out_protocol, *spyne_app.services]
    for owner in owners:
        current = owner.event_manager
        quiet = _QuietEventManager(current.parent, current.handlers)
        owner.event_manager = quiet


def operation_of(request: bytes) -> str | None:
    """The operation's name: the first element inside the SOAP Body (GetUserAvailability's
    request element is GetUserAvailabilityRequest)."""
    try:
        root = etree.fromstring(request, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    body = root.find("{*}Body")
    first = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    if first is None:
        return None
    name = etree.QName(first).localname
    return "GetUserAvailability" if name == "GetUserAvailabilityRequest" else name


def call_operation(environ, request: bytes) -> str | None:
    """:func:`operation_of` for a request the application has answered: the name its
    pipeline read (soap/pipeline.py), else the request read again."""
    return environ.get(OPERATION_ENV_KEY) or operation_of(request)


def _with_affinity(start_response, build):
    """Exchange answers X-PreferServerAffinity with the X-BackEndOverrideCookie naming the
    mailbox server, for the client to send back (subscriptions live on one server)."""
    cookie = f"X-BackEndOverrideCookie=ews-propose~{build}; path=/; HttpOnly"

    def start(status, headers, exc_info=None):
        headers = [*headers, ("Set-Cookie", cookie)]
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

    return start


def _plain(start_response, status, body, extra=()):
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body))), *extra])
    return [body]
