"""The fenced code blocks of README.md and docs/*.md, each named by the
``<!-- snippet: NAME ... -->`` comment on the line before it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "first-ten-minutes.md")
_FENCE = re.compile(r"^(?P<indent>[ ]*)```(?P<lang>\w*)\n(?P<code>.*?)^(?P=indent)```[ ]*$", re.M | re.S)
_MARKER = re.compile(r"<!-- snippet: (?P<name>[\w-]+)")


@dataclass(frozen=True)
class Snippet:
    name: str
    lang: str
    code: str
    where: str  # file:line, for messages


def snippets(path: Path) -> list[Snippet]:
    """Every fenced block of the file; a block without a marker gets the name ''."""
    text = path.read_text()
    found = []
    for m in _FENCE.finditer(text):
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _MARKER.search(before)
        indent = m.group("indent")
        code = "\n".join(line[len(indent):] if line.startswith(indent) else line
                         for line in m.group("code").splitlines()) + "\n"
        line = text.count("\n", 0, m.start()) + 1
        found.append(Snippet(marker.group("name") if marker else "", m.group("lang"), code,
                             f"{path.relative_to(ROOT)}:{line}"))
    return found


def all_snippets() -> list[Snippet]:
    return [s for path in DOCUMENTS for s in snippets(path)]


def snippet(name: str) -> Snippet:
    (found,) = [s for s in all_snippets() if s.name == name]
    return found
