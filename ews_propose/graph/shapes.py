"""Pieces shared by events and messages: people, bodies, locations, response status."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from ..rules.model import ACCEPT, DECLINE, NO_RESPONSE, ORGANIZER, TENTATIVE, UNKNOWN, Person
from .timezones import utc_text

NEVER = "0001-01-01T00:00:00Z"  # Graph's "no time" for a response
NOT_YET = "4501-01-01T00:00:00Z"  # an attendee asked to answer again (after the meeting moved)
RESPONSE = {
    UNKNOWN: "none",
    NO_RESPONSE: "notResponded",
    ACCEPT: "accepted",
    TENTATIVE: "tentativelyAccepted",
    DECLINE: "declined",
    ORGANIZER: "organizer",
}
SHOW_AS = {"free": "free", "tentative": "tentative", "busy": "busy", "oof": "oof"}
_TAGS = re.compile(r"<[^>]+>")


def email(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"emailAddress": {"name": person.name or person.smtp, "address": person.smtp}}


def body(text: str, body_type: str, wanted: str | None = None) -> dict[str, str]:
    """An itemBody; ``wanted`` (Prefer: outlook.body-content-type) converts it."""
    kind = "html" if body_type.lower() == "html" else "text"
    if wanted == "text" and kind == "html":
        return {"contentType": "text", "content": _as_text(text)}
    if wanted == "html" and kind == "text":
        escaped = html.escape(text).replace("\r\n", "\n").replace("\n", "<br>\r\n")
        return {"contentType": "html", "content": "<html>\r\n<head>\r\n<meta http-equiv=\"Content-Type\" "
                f"content=\"text/html; charset=utf-8\">\r\n</head>\r\n<body>\r\n{escaped}\r\n</body>\r\n</html>\r\n"}
    return {"contentType": kind, "content": text}


def _as_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(head|style|script).*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", markup)
    return html.unescape(_TAGS.sub("", markup)).strip()


def preview(text: str, body_type: str) -> str:
    if body_type.lower() == "html":
        text = html.unescape(_TAGS.sub(" ", re.sub(r"(?is)<(head|style|script).*?</\1>", " ", text)))
    return " ".join(text.split())[:255]


def location(name: str, unique_type: str = "private") -> dict[str, Any]:
    if not name:
        return {"displayName": "", "locationType": "default", "uniqueIdType": "unknown"}
    out = {"displayName": name, "locationType": "default"}
    if unique_type == "private":
        out["uniqueId"] = name
    out["uniqueIdType"] = unique_type
    return out


def status(response: str | None, when: datetime | None) -> dict[str, str]:
    word = RESPONSE.get(response or UNKNOWN, "none")
    if word == "notResponded" and when is None:
        time = NOT_YET
    else:
        time = utc_text(when) if when is not None else NEVER
    return {"response": word, "time": time}


def level(value: str) -> str:
    return (value or "Normal").lower()
