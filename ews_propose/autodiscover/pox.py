"""POX Autodiscover (``/autodiscover/autodiscover.xml``): the Outlook request schema
2006, answered in the 2006a response schema (Microsoft's "POX Autodiscover request /
response for Exchange" pages), with EXCH and EXPR protocol entries whose ASUrl and
EwsUrl are this emulator's EWS endpoint.

Errors are the POX error response (HTTP 200, ``Error`` with ErrorCode, Message,
DebugData): 600 for a request that is not one, 601 for a response schema other than
2006a, 500 for an address no mailbox has.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

from lxml import etree

from .settings import MailboxSettings, pox_server_version

REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
OUTLOOK_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

SettingsFor = Callable[[str], MailboxSettings | None]


def answer(body: bytes, settings_for: SettingsFor, find_by_legacy_dn=None) -> tuple[str, bytes]:
    from .service import BadRequest, parse

    try:
        root = parse(body)
    except BadRequest as exc:
        return "200 OK", error("600", "Invalid Request", str(exc))
    request = root.find(f"{{{REQUEST_NS}}}Request") if root.tag == f"{{{REQUEST_NS}}}Autodiscover" else None
    if request is None:
        return "200 OK", error("600", "Invalid Request",
                                f"Expected {{{REQUEST_NS}}}Autodiscover with a Request, got {root.tag}.")
    schema = (request.findtext(f"{{{REQUEST_NS}}}AcceptableResponseSchema") or "").strip()
    if schema != OUTLOOK_NS:
        return "200 OK", error("601", "Provider is not available",
                                f"AcceptableResponseSchema {schema or '(missing)'!r} is not served; "
                                f"this server answers {OUTLOOK_NS}.")
    address = (request.findtext(f"{{{REQUEST_NS}}}EMailAddress") or "").strip()
    legacy_dn = (request.findtext(f"{{{REQUEST_NS}}}LegacyDN") or "").strip()
    if not address and not legacy_dn:
        return "200 OK", error("600", "Invalid Request", "The request has neither EMailAddress nor LegacyDN.")
    settings = settings_for(address) if address else _by_legacy_dn(legacy_dn, settings_for, find_by_legacy_dn)
    if settings is None:
        return "200 OK", error("500", "The e-mail address cannot be found.", address or legacy_dn)
    return "200 OK", _settings(settings)


def _by_legacy_dn(legacy_dn: str, settings_for: SettingsFor, candidates) -> MailboxSettings | None:
    for smtp in candidates() if candidates else ():
        settings = settings_for(smtp)
        if settings is not None and settings.legacy_dn.lower() == legacy_dn.lower():
            return settings
    return None


def _add(parent: etree._Element, name: str, text: str) -> None:
    etree.SubElement(parent, f"{{{OUTLOOK_NS}}}{name}").text = text


def _settings(settings: MailboxSettings) -> bytes:
    root = etree.Element(f"{{{RESPONSE_NS}}}Autodiscover", nsmap={None: RESPONSE_NS})
    response = etree.SubElement(root, f"{{{OUTLOOK_NS}}}Response", nsmap={None: OUTLOOK_NS})
    user = etree.SubElement(response, f"{{{OUTLOOK_NS}}}User")
    _add(user, "DisplayName", settings.mailbox.name)
    _add(user, "LegacyDN", settings.legacy_dn)
    _add(user, "AutoDiscoverSMTPAddress", settings.mailbox.smtp)
    _add(user, "DeploymentId", settings.deployment_id)
    account = etree.SubElement(response, f"{{{OUTLOOK_NS}}}Account")
    _add(account, "AccountType", "email")
    _add(account, "Action", "settings")
    _add(account, "MicrosoftOnline", "False")
    for kind in ("EXCH", "EXPR"):
        protocol = etree.SubElement(account, f"{{{OUTLOOK_NS}}}Protocol")
        _add(protocol, "Type", kind)
        _add(protocol, "Server", settings.server)
        if kind == "EXCH":
            _add(protocol, "ServerDN", settings.server_dn)
        _add(protocol, "ServerVersion", pox_server_version(settings.build))
        _add(protocol, "AuthPackage", "Basic")
        _add(protocol, "ASUrl", settings.ews_url)
        _add(protocol, "EwsUrl", settings.ews_url)
        _add(protocol, "OOFUrl", settings.ews_url)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def error(code: str, message: str, debug: str) -> bytes:
    root = etree.Element(f"{{{RESPONSE_NS}}}Autodiscover", nsmap={None: RESPONSE_NS})
    response = etree.SubElement(root, f"{{{RESPONSE_NS}}}Response")
    error = etree.SubElement(response, f"{{{RESPONSE_NS}}}Error")
    error.set("Time", datetime.now(UTC).strftime("%H:%M:%S.%f"))
    error.set("Id", str(random.randrange(1, 2**32)))
    etree.SubElement(error, f"{{{RESPONSE_NS}}}ErrorCode").text = code
    etree.SubElement(error, f"{{{RESPONSE_NS}}}Message").text = message
    etree.SubElement(error, f"{{{RESPONSE_NS}}}DebugData").text = debug
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
