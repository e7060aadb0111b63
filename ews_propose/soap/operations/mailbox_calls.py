"""GetDelegate and GetMailTips: who may act for a mailbox (no one: this server keeps no
delegates, as AddDelegate is not served) and the recipients' basic mail tips (their
automatic replies, whether they exist here)."""

from __future__ import annotations

from lxml import etree

from ..context import EwsRequest
from ..xml import RESPONSE_NSMAP, M, SchemaViolation, T, format_datetime, sub
from . import operation


def _root(name: str):
    root = etree.Element(M + name + "Response", nsmap=RESPONSE_NSMAP, ResponseClass="Success")
    sub(root, M + "ResponseCode", "NoError")
    return root


def _message(holder, tag: str, code: str = "NoError", text: str | None = None):
    msg = sub(holder, M + tag, ResponseClass="Success" if code == "NoError" else "Error")
    if text:
        sub(msg, M + "MessageText", text)
    sub(msg, M + "ResponseCode", code)
    if code != "NoError":
        sub(msg, M + "DescriptiveLinkKey", "0")
    return msg


def GetDelegate(req: EwsRequest, request):
    box = request.find(M + "Mailbox")
    if box is None:
        raise SchemaViolation("GetDelegate needs a Mailbox.", request)
    address = (box.findtext(T + "EmailAddress") or "").strip()
    if address.lower() != req.actor.lower():
        root = etree.Element(M + "GetDelegateResponse", nsmap=RESPONSE_NSMAP, ResponseClass="Error")
        sub(root, M + "MessageText", "Access is denied. Check credentials and try again.")
        sub(root, M + "ResponseCode", "ErrorAccessDenied")
        sub(root, M + "DescriptiveLinkKey", "0")
        return root
    root = _root("GetDelegate")
    users = request.find(M + "UserIds")
    if users is not None:
        messages = sub(root, M + "ResponseMessages")
        for user in users.findall(T + "UserId"):
            if user.find(T + "SID") is not None:
                _message(messages, "DelegateUserResponseMessageType", "ErrorInvalidUserSid",
                         "The security identifier is not valid.")
                continue
            smtp = (user.findtext(T + "PrimarySmtpAddress") or "").strip()
            if req.directory.get(smtp) is None:
                _message(messages, "DelegateUserResponseMessageType", "ErrorDelegateNoUser",
                         "The delegate does not map to a user in the directory.")
            else:
                _message(messages, "DelegateUserResponseMessageType", "ErrorNotDelegate",
                         "The user is not a delegate of this mailbox.")
    sub(root, M + "DeliverMeetingRequests", "DelegatesAndMe")
    return root


def GetMailTips(req: EwsRequest, request):
    recipients = request.find(M + "Recipients")
    if recipients is None:
        raise SchemaViolation("GetMailTips needs Recipients.", request)
    root = _root("GetMailTips")
    messages = sub(root, M + "ResponseMessages")
    for box in recipients.findall(T + "Mailbox"):
        smtp = (box.findtext(T + "EmailAddress") or "").strip()
        msg = _message(messages, "MailTipsResponseMessageType")
        tips = sub(msg, M + "MailTips")
        address = sub(tips, T + "RecipientAddress")
        sub(address, T + "EmailAddress", smtp)
        sub(address, T + "RoutingType", "SMTP")
        sub(tips, T + "PendingMailTips")  # required by the schema: none are pending here
        hosted = req.directory.get(smtp)
        oof_el = sub(tips, T + "OutOfOffice")
        reply = sub(oof_el, T + "ReplyBody")
        if hosted is not None:
            oof = req.mailbox.out_of_office(hosted.smtp)
            sub(reply, T + "Message", oof.internal_reply if oof.state != "disabled" else "")
            if oof.state == "scheduled" and oof.start and oof.end:
                duration = sub(oof_el, T + "Duration")
                sub(duration, T + "StartTime", format_datetime(oof.start))
                sub(duration, T + "EndTime", format_datetime(oof.end))
        else:
            sub(reply, T + "Message")
        sub(tips, T + "MailboxFull", "false")
        sub(tips, T + "TotalMemberCount", "1")
        sub(tips, T + "ExternalMemberCount", "0" if hosted is not None else "1")
        sub(tips, T + "DeliveryRestricted", "false")
        sub(tips, T + "IsModerated", "false")
        domain = smtp.rpartition("@")[2].lower()
        local_domain = any(mb.smtp.lower().endswith("@" + domain) for mb in req.directory)
        sub(tips, T + "InvalidRecipient", "true" if hosted is None and local_domain else "false")
    return root


services = [operation(GetDelegate), operation(GetMailTips)]
