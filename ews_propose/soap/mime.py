"""MimeContent: an item as an RFC 5322 message, and a message item made from one.

CreateItem with MimeContent takes the subject, body (the first text/plain part, else the
first text/html one), To / Cc / Bcc, Message-ID, In-Reply-To, References and Importance
from the MIME; item elements written after MimeContent in the request override them, as
in Exchange. GetItem answers MimeContent (base64, CharacterSet UTF-8) only when asked
for (``item:MimeContent`` or IncludeMimeContent), never as part of a base shape; it is
made from the item's fields, so it always says what the item holds now.
"""

from __future__ import annotations

import base64
import binascii
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses

from lxml import etree

from ..rules.engine import NewItem
from ..rules.model import Item, Person
from .errors import ItemError

_IMPORTANCE = {"1": "High", "2": "High", "3": "Normal", "4": "Low", "5": "Low",
               "high": "High", "normal": "Normal", "low": "Low"}


def read_mime(new: NewItem, el: etree._Element) -> None:
    """Fill ``new`` from a CreateItem MimeContent element."""
    try:
        raw = base64.b64decode("".join((el.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise ItemError("ErrorMimeContentInvalidBase64String", "The MIME content is not valid base64.") from None
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:  # the parser is lenient; anything it still refuses is not MIME
        raise ItemError("ErrorMimeContentConversionFailed", "The MIME content could not be converted.") from None
    if msg["Subject"] is not None:
        new.subject = str(msg["Subject"])[:255]
    for header, attr in (("To", "to"), ("Cc", "cc"), ("Bcc", "bcc")):
        values = msg.get_all(header) or []
        people = [Person(addr, name) for name, addr in getaddresses([str(v) for v in values]) if addr]
        if people:
            setattr(new, attr, people)
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        text = body.get_content()
        new.body = text if isinstance(text, str) else text.decode("utf-8", "replace")
        new.body_type = "HTML" if body.get_content_subtype() == "html" else "Text"
    if msg["Message-ID"]:
        new.message_fields["InternetMessageId"] = str(msg["Message-ID"]).strip()
    if msg["References"]:
        new.message_fields["References"] = " ".join(str(msg["References"]).split())
    if msg["In-Reply-To"]:
        new.in_reply_to = str(msg["In-Reply-To"]).strip()
    importance = str(msg.get("Importance") or msg.get("X-Priority") or "").strip().lower()[:6].split(" ")[0]
    if importance in _IMPORTANCE:
        new.importance = _IMPORTANCE[importance]


def mime_of(item: Item) -> bytes:
    """The item as a MIME message."""
    msg = EmailMessage(policy=policy.SMTP)
    if item.sender is not None:
        msg["From"] = _address(item.sender)
    for header, people in (("To", item.to), ("Cc", item.cc)):
        if people:
            msg[header] = ", ".join(_address(p) for p in people)
    msg["Subject"] = _one_line(item.subject or "")
    when = item.received or item.created
    if when is not None:
        msg["Date"] = format_datetime(when)
    internet_id = item.message_fields.get("InternetMessageId")
    if internet_id:
        msg["Message-ID"] = _one_line(internet_id)
    if item.in_reply_to:
        msg["In-Reply-To"] = _one_line(item.in_reply_to)
    if item.message_fields.get("References"):
        msg["References"] = _one_line(item.message_fields["References"])
    if item.importance != "Normal":
        msg["Importance"] = item.importance.lower()
    msg.set_content(item.body or "", subtype="html" if item.body_type == "HTML" else "plain", charset="utf-8")
    return msg.as_bytes()


def write_mime(out: list[str], item: Item, reader) -> None:
    content = base64.b64encode(mime_of(item)).decode("ascii")
    out.append(f'<t:MimeContent CharacterSet="UTF-8">{content}</t:MimeContent>')


def _one_line(value: str) -> str:
    """A header value: MIME headers cannot carry a line end (the library refuses one), so
    line ends in a stored subject or name become spaces, as mail clients unfold them."""
    return " ".join(value.splitlines()) if "\n" in value or "\r" in value else value


def _address(person: Person) -> str:
    if person.name and person.name != person.smtp:
        name = _one_line(person.name).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{name}" <{person.smtp}>'
    return person.smtp
