"""SOAP Autodiscover (``/autodiscover/autodiscover.svc``): GetUserSettings and
GetDomainSettings, in the Autodiscover namespace of Exchange 2010 and later.

Element names and order follow Microsoft's GetUserSettings / GetDomainSettings
operation pages: ``Response`` (ErrorCode, ErrorMessage, UserResponses), each
``UserResponse`` (ErrorCode, ErrorMessage, RedirectTarget, UserSettingErrors,
UserSettings), settings as ``UserSetting i:type="StringSetting"`` with Name and Value.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from ..directory import Directory
from ..versions import Build
from .settings import (
    KNOWN_DOMAIN_SETTINGS,
    KNOWN_USER_SETTINGS,
    MailboxSettings,
    domain_settings,
    supported_schemas,
)

S = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
AD = "http://schemas.microsoft.com/exchange/2010/Autodiscover"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ACTION = "http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/"
MAX_USERS = 100  # project decision: the same ceiling as EWS's mailbox arrays

SettingsFor = Callable[[str], MailboxSettings | None]


class _Fault(Exception):
    pass


def answer(body: bytes, settings_for: SettingsFor, directory: Directory, ews_url: str,
           build: Build) -> tuple[str, bytes]:
    """(HTTP status, response envelope) for one SOAP Autodiscover request."""
    from .service import BadRequest, parse

    try:
        root = parse(body)
        request = _operation(root)
    except BadRequest as exc:
        return "500 Internal Server Error", fault(str(exc))
    except _Fault as exc:
        return "500 Internal Server Error", fault(str(exc))
    name = etree.QName(request).localname
    if name == "GetUserSettingsRequestMessage":
        message = _user_settings(request, settings_for)
        operation = "GetUserSettings"
    else:
        message = _domain_settings(request, directory, ews_url, build)
        operation = "GetDomainSettings"
    return "200 OK", _envelope(operation, message, build)


def _operation(root: etree._Element) -> etree._Element:
    if root.tag != f"{{{S}}}Envelope":
        raise _Fault(f"The root element must be {{{S}}}Envelope (SOAP 1.1), not {root.tag}.")
    body = root.find(f"{{{S}}}Body")
    first = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    if first is None:
        raise _Fault("The SOAP Body is missing or empty.")
    if first.tag not in (f"{{{AD}}}GetUserSettingsRequestMessage", f"{{{AD}}}GetDomainSettingsRequestMessage"):
        raise _Fault(f"The operation {etree.QName(first).localname} ({etree.QName(first).namespace}) "
                     f"is not supported; this server answers GetUserSettings and GetDomainSettings.")
    return first


def _texts(parent: etree._Element | None, path: str) -> list[str]:
    if parent is None:
        return []
    return [(el.text or "").strip() for el in parent.iterfind(path, {"a": AD})]


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{AD}}}{name}")
    if text is not None:
        el.text = text
    return el


def _response(message: etree._Element, code: str, text: str) -> etree._Element:
    response = _sub(message, "Response")
    _sub(response, "ErrorCode", code)
    _sub(response, "ErrorMessage", text)
    return response


def _nil(parent: etree._Element, name: str) -> None:
    _sub(parent, name).set(f"{{{XSI}}}nil", "true")


def _user_settings(request_message: etree._Element, settings_for: SettingsFor) -> etree._Element:
    message = etree.Element(f"{{{AD}}}GetUserSettingsResponseMessage", nsmap={None: AD, "i": XSI})
    request = request_message.find(f"{{{AD}}}Request")
    users = _texts(request, "a:Users/a:User/a:Mailbox")
    requested = _texts(request, "a:RequestedSettings/a:Setting")
    problem = ("The request names no user (Users/User/Mailbox)." if not users else
               "The request names no setting (RequestedSettings/Setting)." if not requested else
               f"The request names {len(users)} users; at most {MAX_USERS} are allowed." if len(users) > MAX_USERS
               else None)
    if problem:
        response = _response(message, "InvalidRequest", problem)
        _sub(response, "UserResponses")
        return message
    response = _response(message, "NoError", "")
    responses = _sub(response, "UserResponses")
    for smtp in users:
        entry = _sub(responses, "UserResponse")
        settings = settings_for(smtp)
        if settings is None:
            _sub(entry, "ErrorCode", "InvalidUser")
            _sub(entry, "ErrorMessage", f"Invalid user: '{smtp}'")
            _nil(entry, "RedirectTarget")
            _sub(entry, "UserSettingErrors")
            _sub(entry, "UserSettings")
            continue
        _sub(entry, "ErrorCode", "NoError")
        _sub(entry, "ErrorMessage", "No error.")
        _nil(entry, "RedirectTarget")
        errors = _sub(entry, "UserSettingErrors")
        values = _sub(entry, "UserSettings")
        available = settings.user_settings()
        for name in dict.fromkeys(requested):  # once each, in the order asked
            if name in available:
                setting = _sub(values, "UserSetting")
                setting.set(f"{{{XSI}}}type", "StringSetting")
                _sub(setting, "Name", name)
                _sub(setting, "Value", available[name])
            else:
                invalid = name not in KNOWN_USER_SETTINGS
                error = _sub(errors, "UserSettingError")
                _sub(error, "ErrorCode", "InvalidSetting" if invalid else "SettingIsNotAvailable")
                _sub(error, "ErrorMessage", f"The requested setting '{name}' is "
                     + ("not a known setting." if invalid else "not available on this server."))
                _sub(error, "SettingName", name)
    return message


def _domain_settings(request_message: etree._Element, directory: Directory, ews_url: str,
                     build: Build) -> etree._Element:
    message = etree.Element(f"{{{AD}}}GetDomainSettingsResponseMessage", nsmap={None: AD, "i": XSI})
    request = request_message.find(f"{{{AD}}}Request")
    domains = _texts(request, "a:Domains/a:Domain")
    requested = _texts(request, "a:RequestedSettings/a:Setting")
    problem = ("The request names no domain (Domains/Domain)." if not domains else
               "The request names no setting (RequestedSettings/Setting)." if not requested else None)
    if problem:
        response = _response(message, "InvalidRequest", problem)
        _sub(response, "DomainResponses")
        return message
    hosted = {mailbox.smtp.rsplit("@", 1)[-1].lower() for mailbox in directory}
    available = domain_settings(ews_url, build)
    response = _response(message, "NoError", "")
    responses = _sub(response, "DomainResponses")
    for domain in domains:
        entry = _sub(responses, "DomainResponse")
        if domain.lower() not in hosted:
            _sub(entry, "ErrorCode", "InvalidDomain")
            _sub(entry, "ErrorMessage", f"The domain '{domain}' is not hosted by this server.")
            _sub(entry, "DomainSettingErrors")
            _sub(entry, "DomainSettings")
            _nil(entry, "RedirectTarget")
            continue
        _sub(entry, "ErrorCode", "NoError")
        _sub(entry, "ErrorMessage", "No error.")
        errors = _sub(entry, "DomainSettingErrors")
        values = _sub(entry, "DomainSettings")
        for name in dict.fromkeys(requested):
            if name in available:
                setting = _sub(values, "DomainSetting")
                setting.set(f"{{{XSI}}}type", "DomainStringSetting")
                _sub(setting, "Name", name)
                _sub(setting, "Value", available[name])
            else:
                error = _sub(errors, "DomainSettingError")
                _sub(error, "ErrorCode", "InvalidSetting" if name not in KNOWN_DOMAIN_SETTINGS
                     else "SettingIsNotAvailable")
                _sub(error, "ErrorMessage", f"The requested setting '{name}' is not a known domain setting.")
                _sub(error, "SettingName", name)
        _nil(entry, "RedirectTarget")
    return message


def _envelope(operation: str, message: etree._Element, build: Build) -> bytes:
    envelope = etree.Element(f"{{{S}}}Envelope", nsmap={"s": S, "a": WSA})
    header = etree.SubElement(envelope, f"{{{S}}}Header")
    action = etree.SubElement(header, f"{{{WSA}}}Action")
    action.set(f"{{{S}}}mustUnderstand", "1")
    action.text = f"{ACTION}{operation}Response"
    info = etree.SubElement(header, f"{{{AD}}}ServerVersionInfo", nsmap={"h": AD, "i": XSI})
    for name, value in (("MajorVersion", build.major), ("MinorVersion", build.minor),
                        ("MajorBuildNumber", build.build), ("MinorBuildNumber", build.revision)):
        etree.SubElement(info, f"{{{AD}}}{name}").text = str(value)
    etree.SubElement(info, f"{{{AD}}}Version").text = supported_schemas(build)[-1]
    body = etree.SubElement(envelope, f"{{{S}}}Body")
    body.append(message)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def fault(text: str, code: str = "s:Client") -> bytes:
    envelope = etree.Element(f"{{{S}}}Envelope", nsmap={"s": S})
    element = etree.SubElement(etree.SubElement(envelope, f"{{{S}}}Body"), f"{{{S}}}Fault")
    etree.SubElement(element, "faultcode").text = code
    reason = etree.SubElement(element, "faultstring")
    reason.set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
    reason.text = text
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
