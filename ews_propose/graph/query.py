"""OData ``$filter`` and ``$orderby`` over Graph payloads (the JSON a resource answers).

``$filter``: ``eq ne gt ge lt le`` on property paths (``from/emailAddress/address``),
``and``, ``or``, ``not``, parentheses, ``isof('microsoft.graph.eventMessageResponse')``,
``startswith``, ``endswith`` and ``contains``; literals are strings in single quotes,
numbers, ``true``/``false``/``null`` and unquoted ISO dates. Strings compare
case-insensitively, as Exchange does. Anything else is a 400 in Graph's form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import GraphError

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<date>\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?(?:Z|[+-]\d\d:\d\d)?)
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_@#][A-Za-z0-9_./@#]*)
    )""", re.VERBOSE)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"isof", "startswith", "endswith", "contains"}
_SUBTYPES = {
    "microsoft.graph.eventmessage": {"eventmessage", "eventmessagerequest", "eventmessageresponse"},
    "microsoft.graph.message": {"message", "eventmessage", "eventmessagerequest", "eventmessageresponse"},
}

Predicate = Callable[[dict[str, Any]], bool]


def bad_filter(detail: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Invalid filter clause: {detail}")


@dataclass
class _Tok:
    kind: str
    text: str


def _tokens(text: str) -> list[_Tok]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise bad_filter(f"syntax error at position {pos} in '{text}'.")
        kind = match.lastgroup or "word"
        out.append(_Tok(kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.paths: list[str] = []  # properties in the order the filter names them

    def peek(self, word: str | None = None) -> _Tok | None:
        tok = self.toks[self.i] if self.i < len(self.toks) else None
        if word is not None and (tok is None or tok.text.lower() != word):
            return None
        return tok

    def take(self, word: str | None = None) -> _Tok:
        tok = self.peek(word)
        if tok is None:
            raise bad_filter(f"expected {word or 'more'} at the end of the expression.")
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        pred = self.or_()
        if self.i != len(self.toks):
            raise bad_filter(f"unexpected '{self.toks[self.i].text}'.")
        return pred

    def or_(self) -> Predicate:
        left = self.and_()
        while self.peek("or"):
            self.take()
            right = self.and_()
            left = (lambda a, b: lambda p: a(p) or b(p))(left, right)
        return left

    def and_(self) -> Predicate:
        left = self.not_()
        while self.peek("and"):
            self.take()
            right = self.not_()
            left = (lambda a, b: lambda p: a(p) and b(p))(left, right)
        return left

    def not_(self) -> Predicate:
        if self.peek("not"):
            self.take()
            inner = self.not_()
            return lambda p: not inner(p)
        return self.primary()

    def primary(self) -> Predicate:
        tok = self.take()
        if tok.text == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if tok.kind != "word":
            raise bad_filter(f"a property or function is expected, not '{tok.text}'.")
        name = tok.text
        if name.lower() in _FUNCTIONS and self.peek("("):
            return self.function(name.lower())
        self.paths.append(name)
        op = self.take()
        if op.text.lower() not in _COMPARE:
            raise bad_filter(f"'{op.text}' is not a supported operator.")
        value = self.literal()
        return _compare(name, op.text.lower(), value)

    def function(self, name: str) -> Predicate:
        self.take("(")
        if name == "isof":
            arg = self.literal()
            self.take(")")
            if not isinstance(arg, str):
                raise bad_filter("isof takes a type name in quotes.")
            wanted = arg.lower()
            kinds = _SUBTYPES.get(wanted, {wanted.removeprefix("microsoft.graph.")})
            return lambda p: str(p.get("@odata.type", "")).lower().removeprefix("#microsoft.graph.") in kinds
        path = self.take().text
        self.paths.append(path)
        self.take(",")
        arg = self.literal()
        self.take(")")
        if not isinstance(arg, str):
            raise bad_filter(f"{name} takes a string.")
        needle = arg.lower()
        test = {"startswith": str.startswith, "endswith": str.endswith,
                "contains": lambda s, n: n in s}[name]
        return lambda p: isinstance(v := _get(p, path), str) and test(v.lower(), needle)

    def literal(self) -> Any:
        tok = self.take()
        if tok.kind == "string":
            return tok.text[1:-1].replace("''", "'")
        if tok.kind == "date":
            return _date(tok.text)
        if tok.kind == "number":
            return float(tok.text) if "." in tok.text else int(tok.text)
        word = tok.text.lower()
        if word in ("true", "false"):
            return word == "true"
        if word == "null":
            return None
        raise bad_filter(f"'{tok.text}' is not a literal.")


def _date(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _get(payload: dict[str, Any], path: str) -> Any:
    current: Any = payload
    for part in path.split("/"):
        if not isinstance(current, dict):
            return None
        key = next((k for k in current if k.lower() == part.lower()), None)
        if key is None:
            return None
        current = current[key]
    return current


def _compare(path: str, op: str, value: Any) -> Predicate:
    def pred(payload: dict[str, Any]) -> bool:
        actual = _get(payload, path)
        if isinstance(value, datetime):
            if isinstance(actual, dict) and "dateTime" in actual:
                actual = actual["dateTime"] + ("Z" if actual.get("timeZone") == "UTC" else "")
            if not isinstance(actual, str):
                return False
            try:
                actual_v: Any = _date(actual)
            except ValueError:
                return False
            expected: Any = value
        elif isinstance(value, str):
            if not isinstance(actual, str):
                return op == "ne"
            actual_v, expected = actual.lower(), value.lower()
        else:
            actual_v, expected = actual, value
        if op == "eq":
            return actual_v == expected
        if op == "ne":
            return actual_v != expected
        if actual_v is None or expected is None:
            return False
        try:
            return {"gt": actual_v > expected, "ge": actual_v >= expected,
                    "lt": actual_v < expected, "le": actual_v <= expected}[op]
        except TypeError:
            return False

    return pred


def parse_filter(text: str) -> tuple[Predicate, list[str]]:
    """The predicate, and the property paths in the order the filter names them."""
    parser = _Parser(text)
    return parser.parse(), parser.paths


def parse_orderby(text: str) -> list[tuple[str, bool]]:
    """``receivedDateTime desc, subject`` -> [(path, descending)]."""
    out = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise GraphError(400, "BadRequest", f"Invalid $orderby clause: '{text}'.")
        out.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return out


def apply(payloads: list[dict[str, Any]], filter_text: str | None, orderby_text: str | None,
          strict_order: bool = False) -> list[dict[str, Any]]:
    """Filter, then sort. ``strict_order`` is Exchange's rule for messages: properties in
    ``$orderby`` must also lead ``$filter``, in the same order (else InefficientFilter)."""
    paths: list[str] = []
    if filter_text:
        pred, paths = parse_filter(filter_text)
        payloads = [p for p in payloads if pred(p)]
    if orderby_text:
        order = parse_orderby(orderby_text)
        if strict_order and filter_text:
            wanted = [p.lower() for p, _ in order]
            if [p.lower() for p in paths[: len(wanted)]] != wanted:
                raise GraphError(400, "InefficientFilter", "The restriction or sort order is too complex for "
                                 "this operation.")
        for path, descending in reversed(order):
            payloads.sort(key=lambda p, path=path: _sort_key(_get(p, path)), reverse=descending)
    return payloads


def _sort_key(value: Any) -> tuple:
    if value is None:
        return (0, "")
    if isinstance(value, dict) and "dateTime" in value:
        value = value["dateTime"]
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value).lower())
