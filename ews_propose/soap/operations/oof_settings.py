"""GetUserOofSettings / SetUserOofSettings: a mailbox's automatic replies, kept in the
store. A mailbox may read and set only its own."""

from __future__ import annotations

from lxml import etree

from ...rules import mailbox as mbx
from ...rules.errors import RuleError
from ..context import EwsRequest
from ..errors import response_code
from ..xml import (
    RESPONSE_NSMAP,
    M,
    SchemaViolation,
    T,
    format_datetime,
    parse_datetime,
    parse_enum,
    sub,
)
from . import operation

STATES = {"Enabled": mbx.OOF_ENABLED, "Scheduled": mbx.OOF_SCHEDULED, "Disabled": mbx.OOF_DISABLED}
AUDIENCES = {"None": "none", "Known": "known", "All": "all"}
_STATE_OUT = {v: k for k, v in STATES.items()}
_AUDIENCE_OUT = {v: k for k, v in AUDIENCES.items()}


def _response(name: str, code: str = "NoError", text: str | None = None):
    root = etree.Element(M + name + "Response", nsmap=RESPONSE_NSMAP)
    msg = sub(root, M + "ResponseMessage", ResponseClass="Success" if code == "NoError" else "Error")
    if text:
        sub(msg, M + "MessageText", text)
    sub(msg, M + "ResponseCode", code)
    if code != "NoError":
        sub(msg, M + "DescriptiveLinkKey", "0")
    return root


def _own_mailbox(req: EwsRequest, request) -> str | None:
    """None when the request names the caller's own mailbox; else the error code."""
    box = request.find(T + "Mailbox")
    if box is None:
        raise SchemaViolation("The request needs a Mailbox.", request)
    address = (box.findtext(T + "Address") or "").strip()
    return None if address.lower() == req.actor.lower() else "ErrorAccessDenied"


def GetUserOofSettings(req: EwsRequest, request):
    denied = _own_mailbox(req, request)
    if denied:
        return _response("GetUserOofSettings", denied, "Access is denied. Check credentials and try again.")
    oof = req.mailbox.out_of_office(req.actor)
    root = _response("GetUserOofSettings")
    settings = sub(root, T + "OofSettings")
    sub(settings, T + "OofState", _STATE_OUT[oof.state])
    sub(settings, T + "ExternalAudience", _AUDIENCE_OUT[oof.audience])
    if oof.start and oof.end:
        duration = sub(settings, T + "Duration")
        sub(duration, T + "StartTime", format_datetime(oof.start))
        sub(duration, T + "EndTime", format_datetime(oof.end))
    sub(sub(settings, T + "InternalReply"), T + "Message", oof.internal_reply)
    sub(sub(settings, T + "ExternalReply"), T + "Message", oof.external_reply)
    sub(root, M + "AllowExternalOof", "All")
    return root


def SetUserOofSettings(req: EwsRequest, request):
    denied = _own_mailbox(req, request)
    settings = request.find(T + "UserOofSettings")
    if settings is None:
        raise SchemaViolation("The request needs UserOofSettings.", request)
    state_el = settings.find(T + "OofState")
    if state_el is None:
        raise SchemaViolation("UserOofSettings needs an OofState.", settings)
    oof = mbx.OutOfOffice(parse_enum(state_el, state_el.text, STATES, "OofState"))
    audience = settings.find(T + "ExternalAudience")
    if audience is not None:
        oof.audience = parse_enum(audience, audience.text, AUDIENCES, "ExternalAudience")
    duration = settings.find(T + "Duration")
    if duration is not None:
        for tag in ("StartTime", "EndTime"):
            el = duration.find(T + tag)
            if el is None:
                raise SchemaViolation(f"Duration needs a {tag}.", duration)
        oof.start = parse_datetime(duration.find(T + "StartTime"))
        oof.end = parse_datetime(duration.find(T + "EndTime"))
    oof.internal_reply = settings.findtext(f"{T}InternalReply/{T}Message") or ""
    oof.external_reply = settings.findtext(f"{T}ExternalReply/{T}Message") or ""
    if denied:
        return _response("SetUserOofSettings", denied, "Access is denied. Check credentials and try again.")
    try:
        req.mailbox.set_out_of_office(req.actor, oof)
    except RuleError as exc:
        return _response("SetUserOofSettings", response_code(exc), exc.message)
    return _response("SetUserOofSettings")


services = [operation(GetUserOofSettings, "GetUserOofSettingsRequest"),
            operation(SetUserOofSettings, "SetUserOofSettingsRequest")]
