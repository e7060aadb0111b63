"""The two Autodiscover endpoints as one WSGI piece: method checks, the same
authentication as EWS, a safe XML parse, then POX or SOAP."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from lxml import etree

from ..directory import Directory, Mailbox
from ..hosts import request_host
from ..versions import Build
from . import pox, soap
from .settings import MailboxSettings

log = logging.getLogger(__name__)

AUTODISCOVER_POX_PATH = "/autodiscover/autodiscover.xml"
AUTODISCOVER_SOAP_PATH = "/autodiscover/autodiscover.svc"
EWS_PATH = "/EWS/Exchange.asmx"

Authenticate = Callable[[dict], Mailbox | None]


class BadRequest(Exception):
    """A body that is not a well-formed, DTD-free XML document."""


def parse(body: bytes) -> etree._Element:
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise BadRequest("DTDs and entity declarations are not allowed.")
    if not body.strip():
        raise BadRequest("The request body is empty.")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise BadRequest(f"The request is not well-formed XML: {exc.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise BadRequest("DTDs and entity declarations are not allowed.")
    return root


class AutodiscoverService:
    def __init__(self, directory: Directory, build: Build, realm: str, max_request_bytes: int) -> None:
        self.directory = directory
        self.build = build
        self.realm = realm
        self.max_request_bytes = max_request_bytes

    @staticmethod
    def handles(path: str) -> bool:
        """``path`` lower-cased, as the application routes."""
        return path in (AUTODISCOVER_POX_PATH, AUTODISCOVER_SOAP_PATH)

    def __call__(self, environ, start_response, authenticate: Authenticate):
        path = (environ.get("PATH_INFO") or "").lower()
        method = environ.get("REQUEST_METHOD", "GET").upper()
        mailbox = authenticate(environ)
        if mailbox is None:
            return _plain(start_response, "401 Unauthorized", b"401 Unauthorized\n",
                          [("WWW-Authenticate", f'Basic realm="{self.realm}"'), ("WWW-Authenticate", "Bearer")])
        if method != "POST":
            return _plain(start_response, "405 Method Not Allowed",
                          b"Autodiscover takes its requests by POST\n", [("Allow", "POST")])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_request_bytes:
            return _plain(start_response, "413 Request Entity Too Large", b"The request is too large.\n")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        ews_url, server = self._ews_url(environ)

        def settings_for(smtp: str) -> MailboxSettings | None:
            found = self.directory.get(smtp)
            return MailboxSettings(found, ews_url, server, self.build) if found is not None else None

        try:
            if path == AUTODISCOVER_POX_PATH:
                status, payload = pox.answer(body, settings_for, lambda: [m.smtp for m in self.directory])
            else:
                status, payload = soap.answer(body, settings_for, self.directory, ews_url, self.build)
        except Exception:  # a defect here is still answered in the service's own form
            log.exception("unhandled error in Autodiscover")
            if path == AUTODISCOVER_POX_PATH:
                status, payload = "200 OK", pox.error("603", "Server Error", "An internal server error occurred.")
            else:
                status, payload = "500 Internal Server Error", soap.fault("An internal server error occurred.",
                                                                          code="s:Server")
        start_response(status, [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(payload)))])
        return [payload]

    @staticmethod
    def _ews_url(environ) -> tuple[str, str]:
        """This emulator's EWS URL as the client reached it (scheme and Host header)."""
        scheme = environ.get("wsgi.url_scheme", "http")
        host = request_host(environ)
        return f"{scheme}://{host}{EWS_PATH}", urlsplit(f"//{host}").hostname or host


def _plain(start_response, status, body, extra=()):
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body))), *extra])
    return [body]
