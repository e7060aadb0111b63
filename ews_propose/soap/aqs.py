"""FindItem's QueryString: a subset of Advanced Query Syntax (AQS), as a predicate over
items.

Supported: ``property:value`` terms and bare words; quoted phrases (``"a b"``);
``AND``, ``OR``, ``NOT`` (upper case, as AQS spells them) and parentheses; juxtaposed
terms are ANDed. Properties: Subject, Body, From, To, Cc, Bcc, Participants,
Category (Categories), Attachment (Attachments: the attachments' names),
HasAttachment (HasAttachments: true/false), IsRead (true/false), Importance
(low/normal/high), Kind (email, meetings, contacts, tasks, notes), Received and Sent
(a date, ``>``/``>=``/``<``/``<=`` a date, or ``date..date``). A property AQS does not
know makes the whole ``name:value`` a bare word, as Exchange reads it.

Matching is Exchange's word matching: the text is split into words (letters and digits),
and each word of the value must begin a word of the field; a quoted phrase's words must
follow one another. A bare word matches the subject, the body, the participants or the
attachments' names. Case does not matter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from ..rules import model as m
from ..rules.model import Item
from .errors import ItemError

Predicate = Callable[[Item], bool]
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_TOKEN = re.compile(r'\s*(\(|\)|"[^"]*"?|[^\s()"]+(?:"[^"]*"?)?)')
_KINDS = {"email": (m.MESSAGE,), "meetings": (m.MEETING_REQUEST, m.MEETING_RESPONSE, m.MEETING_CANCELLATION,
                                              m.CALENDAR_ITEM),
          "calendar": (m.CALENDAR_ITEM,), "contacts": (), "tasks": (), "notes": ()}


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


def _people(item: Item, *which: str) -> list[str]:
    out = []
    for attr in which:
        value = getattr(item, attr)
        for person in ([value] if not isinstance(value, list) else value):
            if person is not None:
                out += [person.smtp or "", person.name or ""]
    if "to" in which:
        out += [a.smtp for a in item.attendees] + [a.name for a in item.attendees]
    return out


_TEXT: dict[str, Callable[[Item], list[str]]] = {
    "subject": lambda i: [i.subject],
    "body": lambda i: [i.body],
    "from": lambda i: _people(i, "sender"),
    "to": lambda i: _people(i, "to"),
    "cc": lambda i: _people(i, "cc"),
    "bcc": lambda i: _people(i, "bcc"),
    "participants": lambda i: _people(i, "sender", "to", "cc", "bcc") + _people(i, "organizer"),
    "category": lambda i: list(i.categories),
    "attachment": lambda i: [a.get("name") or "" for a in i.attachments],
}
_TEXT["categories"] = _TEXT["category"]
_TEXT["attachments"] = _TEXT["attachment"]
_BARE = ("subject", "body", "participants", "attachment")


def _text_match(texts: list[str], value: str, phrase: bool) -> bool:
    wanted = _words(value)
    if not wanted:
        return True
    for text in texts:
        words = _words(text)
        if (text or "").strip().lower() == value.strip().lower():
            return True
        if phrase:
            if any(all(words[i + k].startswith(w) for k, w in enumerate(wanted))
                   for i in range(len(words) - len(wanted) + 1)):
                return True
        elif all(any(word.startswith(w) for word in words) for w in wanted):
            return True
    return False


def _bool_value(value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false", "yes", "no"):
        raise _NotAProperty
    return lowered in ("true", "yes")


def _date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _NotAProperty


def _date_predicate(getter: Callable[[Item], datetime | None], value: str) -> Predicate:
    low = high = None  # [low, high) as dates
    if ".." in value:
        first, _, last = value.partition("..")
        low, high = _date(first), _date(last) + timedelta(days=1)
    else:
        for op in (">=", "<=", ">", "<", "="):
            if value.startswith(op):
                day = _date(value[len(op):])
                low, high = {">=": (day, None), "<=": (None, day + timedelta(days=1)),
                             ">": (day + timedelta(days=1), None), "<": (None, day),
                             "=": (day, day + timedelta(days=1))}[op]
                break
        else:
            day = _date(value)
            low, high = day, day + timedelta(days=1)

    def match(item: Item) -> bool:
        when = getter(item)
        if when is None:
            return False
        day = when.date()
        return (low is None or day >= low) and (high is None or day < high)
    return match


class _NotAProperty(Exception):
    """A ``name:value`` whose value the property cannot take: read as a bare word."""


def _term(token: str) -> Predicate:
    phrase = token.startswith('"')
    if not phrase and ":" in token:
        name, _, value = token.partition(":")
        key = name.lower()
        value_phrase = value.startswith('"')
        value = value.strip('"')
        try:
            return _property(key, value, value_phrase)
        except _NotAProperty:
            pass
    value = token.strip('"')
    return lambda item: any(_text_match(_TEXT[k](item), value, phrase) for k in _BARE)


def _property(key: str, value: str, phrase: bool) -> Predicate:
    if key in _TEXT:
        getter = _TEXT[key]
        return lambda item: _text_match(getter(item), value, phrase)
    if key in ("hasattachment", "hasattachments"):
        wanted = _bool_value(value)
        return lambda item: any(not a.get("is_inline") for a in item.attachments) == wanted
    if key == "isread":
        wanted = _bool_value(value)
        return lambda item: item.is_read == wanted
    if key == "importance":
        if value.lower() not in ("low", "normal", "high"):
            raise _NotAProperty
        return lambda item: item.importance.lower() == value.lower()
    if key == "kind":
        if value.lower() not in _KINDS:
            raise _NotAProperty
        kinds = _KINDS[value.lower()]
        return lambda item: item.kind in kinds
    if key == "received":
        return _date_predicate(lambda i: i.received, value)
    if key == "sent":
        return _date_predicate(lambda i: i.received if i.kind != m.CALENDAR_ITEM else None, value)
    raise _NotAProperty


def parse_query_string(text: str) -> Predicate:
    tokens = [t for t in _TOKEN.findall(text or "") if t]
    if not tokens:
        return lambda item: True
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def or_expr() -> Predicate:
        parts = [and_expr()]
        while peek() == "OR":
            take()
            parts.append(and_expr())
        return parts[0] if len(parts) == 1 else (lambda item: any(p(item) for p in parts))

    def and_expr() -> Predicate:
        parts = [not_expr()]
        while peek() not in (None, ")", "OR"):
            if peek() == "AND":
                take()
            parts.append(not_expr())
        return parts[0] if len(parts) == 1 else (lambda item: all(p(item) for p in parts))

    def not_expr() -> Predicate:
        if peek() == "NOT":
            take()
            inner = not_expr()
            return lambda item: not inner(item)
        return primary()

    def primary() -> Predicate:
        token = peek()
        if token is None or token in (")", "AND", "OR"):
            raise ItemError("ErrorInvalidArgument", f"The query string '{text}' is not valid AQS: a term is "
                            f"missing{' before ' + repr(token) if token else ' at its end'}.")
        take()
        if token == "(":
            inner = or_expr()
            if peek() != ")":
                raise ItemError("ErrorInvalidArgument", f"The query string '{text}' is not valid AQS: "
                                "a parenthesis is not closed.")
            take()
            return inner
        return _term(token)

    predicate = or_expr()
    if pos != len(tokens):
        raise ItemError("ErrorInvalidArgument", f"The query string '{text}' is not valid AQS: "
                        f"unexpected {tokens[pos]!r}.")
    return predicate
