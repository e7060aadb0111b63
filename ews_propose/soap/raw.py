"""Answer parts written as text and placed into the answer's bytes as they are.

Items are written as escaped XML text (soap/items/text.py). Parsing that text into lxml
elements only to serialize them again cost FindItem of 21 items about a third of its
time (docs/performance.md, "Round two"). While the request pipeline (soap/pipeline.py)
collects parts, :func:`append` puts a processing instruction ``<?ews-raw N?>`` where
the text goes, and the pipeline writes the text in its place after serializing the
answer. Outside the pipeline (the inspector's pages, tests calling an operation's
builders), :func:`append` parses the text into elements: the same document either way.

A part's text uses the ``t:`` prefix declared by the answer's response element
(``xml.RESPONSE_NSMAP``) and must already be what lxml writes for it (soap/items/fields.py's
writers close empty elements with ``xml.tagged``; tests/test_raw_items.py checks it).
"""

from __future__ import annotations

import threading

from lxml import etree

from .xml import TYPES_NS

TARGET = "ews-raw"
_MARK = b"<?" + TARGET.encode() + b" "
_DECL = f' xmlns:t="{TYPES_NS}"'
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class _Parts(threading.local):
    active: list[str] | None = None


_PARTS = _Parts()


def collect() -> list[str]:
    """Start collecting parts for this thread's request; the list they go to."""
    parts: list[str] = []
    _PARTS.active = parts
    return parts


def stop() -> None:
    _PARTS.active = None


def append(parent: etree._Element, text: str) -> None:
    """Put the element written as ``text`` (one element, ``t:`` prefixed, its start
    tag without attributes) as the last child of ``parent``."""
    parts = _PARTS.active
    if parts is None:
        end = text.index(">")
        parent.append(etree.fromstring(text[:end] + _DECL + text[end:], _PARSER))
        return
    parent.append(etree.ProcessingInstruction(TARGET, str(len(parts))))
    parts.append(text)


def splice(document: bytes, parts: list[str]) -> bytes:
    """``document`` with each ``<?ews-raw N?>`` replaced by part N (UTF-8)."""
    pieces = document.split(_MARK)
    out = [pieces[0]]
    for piece in pieces[1:]:
        number, _, rest = piece.partition(b"?>")
        out.append(parts[int(number)].encode("utf-8"))
        out.append(rest)
    return b"".join(out)
