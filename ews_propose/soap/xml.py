"""EWS namespaces, tag names and small helpers for building and reading XML."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES_NS = "http://schemas.microsoft.com/exchange/services/2006/types"
MESSAGES_NS = "http://schemas.microsoft.com/exchange/services/2006/messages"
ERRORS_NS = "http://schemas.microsoft.com/exchange/services/2006/errors"
# Namespaces that some published samples print by mistake (https instead of http).
MISTAKEN_NAMESPACES = {
    ns.replace("http://", "https://"): ns for ns in (SOAP_NS, TYPES_NS, MESSAGES_NS, ERRORS_NS)
}

S = f"{{{SOAP_NS}}}"
T = f"{{{TYPES_NS}}}"
M = f"{{{MESSAGES_NS}}}"
E = f"{{{ERRORS_NS}}}"
RESPONSE_NSMAP = {"m": MESSAGES_NS, "t": TYPES_NS}


# The zone naive times of the request being read are in (see soap/timezones.py).
_request_zone: contextvars.ContextVar[tzinfo] = contextvars.ContextVar("ews_request_zone", default=UTC)


@contextmanager
def reading_in(zone: tzinfo) -> Iterator[None]:
    token = _request_zone.set(zone)
    try:
        yield
    finally:
        _request_zone.reset(token)


class SchemaViolation(Exception):
    """A request that breaks the schema: answered with the ErrorSchemaValidation fault."""

    def __init__(self, message: str, element: etree._Element | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element = element
        self.line = line if line is not None else (element.sourceline if element is not None else None)
        self.column = column if column is not None else 0


def position(el: etree._Element | None, data: bytes | None) -> tuple[int, int]:
    """(LineNumber, LinePosition) of an element's start tag in the request, as .NET's
    XmlReader counts them (both 1-based; the position is that of the name's first
    character, just after '<'). (line, 0) when the request's text cannot be read back."""
    if el is None:
        return 0, 0
    line = el.sourceline or 0
    if not data or not line:
        return line, 0
    # The how-manieth start tag on its line the element is, in document order.
    index = 0
    for other in el.getroottree().iter():
        if other is el:
            break
        if isinstance(other.tag, str) and other.sourceline == line:
            index += 1
    try:
        text = data.decode("utf-8").split("\n")[line - 1]
    except (UnicodeDecodeError, IndexError):
        return line, 0
    seen = -1
    for i, char in enumerate(text[:-1]):
        if char == "<" and text[i + 1] not in "/!?":
            seen += 1
            if seen == index:
                return line, i + 2
    return line, 0


def esc(value: str) -> str:
    """Text escaped for element content. A carriage return goes out as a character
    reference: a parser turns a raw one into a newline (XML's line-end normalization)."""
    if "&" in value or "<" in value or ">" in value or "\r" in value:  # most text has none
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return value


def esc_attr(value: str) -> str:
    """Text escaped for a double-quoted attribute: newlines and tabs as character
    references too, as lxml writes them (written raw, a parser reads them back as spaces)."""
    if '"' in value or "\n" in value or "\t" in value:
        return esc(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return esc(value)


def tagged(tag: str, escaped: str, attrs: str = "") -> str:
    """A ``t:`` element written as text with its escaped text, closed at once when empty
    (``<t:X/>``) as lxml writes it: item text goes into answers as it is (soap/raw.py)."""
    return f"<t:{tag}{attrs}>{escaped}</t:{tag}>" if escaped else f"<t:{tag}{attrs}/>"


def inline(write, *lines: str, const: object = None):
    """Gives an item writer the source of its body, for soap/items/text.py's ``_compiled``
    (which writes a whole plan as one function): ``item`` is the item, ``a`` appends to
    the output, ``{C}`` stands for ``const``; ``esc`` and ``fmt`` (format_datetime) are
    in scope. The function itself stays as it was: what runs when it is called alone,
    and what tests/test_raw_items.py compares the compiled plans with."""
    write.inline = (lines, const)
    return write


def text_lines(tag: str, expr: str) -> list[str]:
    """Source appending ``<t:tag>`` with the text ``expr`` (a str) escaped as :func:`esc`
    does, closed at once when empty as :func:`tagged` writes it."""
    return [f"s = {expr}",
            "if '&' in s or '<' in s or '>' in s or '\\r' in s: s = esc(s)",
            f"a('<t:{tag}>' + s + '</t:{tag}>' if s else '<t:{tag}/>')"]


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrs) if attrs else etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


@lru_cache(maxsize=8192)
def format_datetime(value: datetime) -> str:
    # isoformat is C and quick; "+00:00" becomes EWS's "Z".
    return value.astimezone(UTC).replace(microsecond=0).isoformat()[:-6] + "Z"


def format_bool(value: bool) -> str:
    return "true" if value else "false"


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    if hours or minutes or secs or not days:
        out += "T"
        if hours:
            out += f"{hours}H"
        if minutes:
            out += f"{minutes}M"
        if secs or not (hours or minutes):
            out += f"{secs}S"
    return out


def parse_datetime(el: etree._Element) -> datetime:
    return datetime_value(el.text, f"element '{localname(el)}'", el)


def datetime_value(text: str | None, what: str, el: etree._Element | None = None) -> datetime:
    """An xs:dateTime; one without a zone is read in the request's zone (TimeZoneContext)."""
    text = (text or "").strip()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise SchemaViolation(f"The value '{text}' of {what} is not a valid xs:dateTime.", el) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_request_zone.get())
    try:
        return value.astimezone(UTC).replace(microsecond=0)
    except (OverflowError, ValueError):
        # As .NET says it: the time in UTC must lie in years 1 to 9999.
        raise SchemaViolation(f"The value '{text}' of {what} is not a valid xs:dateTime: its UTC"
                              " representation falls outside the year range 1-9999.", el) from None


def parse_bool(el: etree._Element) -> bool:
    text = (el.text or "").strip()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise SchemaViolation(
        f"The value '{text}' of element '{etree.QName(el).localname}' is not a valid xs:boolean.", el
    )


def parse_int(el: etree._Element, low: int | None = None, high: int | None = None) -> int:
    return int_value(el.text, f"element '{localname(el)}'", el, low, high)


def int_value(text: str | None, what: str, el: etree._Element | None = None,
              low: int | None = None, high: int | None = None) -> int:
    text = (text or "").strip()
    try:
        value = int(text)
    except ValueError:
        raise SchemaViolation(f"The value '{text}' of {what} is not a valid integer.", el) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise SchemaViolation(f"The value '{text}' of {what} is out of range.", el)
    return value


def parse_enum(el: etree._Element | None, text: str | None, allowed: dict[str, str] | tuple[str, ...],
               what: str) -> str:
    value = (text or "").strip()
    if value not in allowed:
        raise SchemaViolation(
            f"The value '{value}' is invalid for {what}; expected one of: {', '.join(allowed)}.", el
        )
    return allowed[value] if isinstance(allowed, dict) else value


def text_of(parent: etree._Element, tag: str) -> str | None:
    el = parent.find(tag)
    return None if el is None else (el.text or "")


def localname(el: etree._Element) -> str:
    return etree.QName(el).localname
