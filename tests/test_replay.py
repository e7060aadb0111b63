"""Issue 13, item 6: record and replay. tests/replay/ holds request/response pairs written
from Microsoft's documentation examples (each file names its source page), reshaped to
the demo mailboxes; the pairs run in order against a real emulator, and the answer to
each must match the expected response element for element.

The comparator is small and explicit: same elements (namespace and name, prefixes aside)
in the same order, the same attributes, the same text; an expected value ``{any}`` stands
for a per-run value (an id, a change key, a time the server stamps, a build number), and
the Id / ChangeKey attributes of ids are never compared. Where the emulator legitimately
answers otherwise than the documentation example (the example comes from an older build,
say), the pair's response file lists that one difference in a processing instruction
``<?replay-difference path="/Envelope/..." kind="attributes|children|text|value|tag"
reason="..."?>`` (and docs/wire-fidelity.md lists it too): only a listed difference at that
path and of that kind is allowed, and a listed difference that no longer occurs fails the
test, so the list cannot go stale.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from .ews import Soap

REPLAY = Path(__file__).parent / "replay"
PAIRS = sorted(p.name.removesuffix(".request.xml") for p in REPLAY.glob("*.request.xml"))
# Each pair is sent as this mailbox (the request file's comment says so too).
SENDER = {
    "01-getfolder-inbox": "AlexW@contoso.com",
    "02-createitem-meeting": "AlexW@contoso.com",
    "03-getitem-meeting-subject": "AlexW@contoso.com",
    "04-getfolder-calendar": "AlexW@contoso.com",
    "05-finditem-calendarview": "AlexW@contoso.com",
    "06-finditem-inbox": "AdeleV@contoso.com",
    "07-getitem-response-objects": "AdeleV@contoso.com",
    "08-acceptitem-propose-new-time": "AdeleV@contoso.com",
    "09-updateitem-move-meeting": "AlexW@contoso.com",
    "10-acceptitem": "AdeleV@contoso.com",
    "11-getuseravailability": "AlexW@contoso.com",
}
ANY = "{any}"
ID_ATTRIBUTES = {"Id", "ChangeKey", "RootItemChangeKey"}
PLACEHOLDER = re.compile(r"\{(meeting_request|meeting_response|meeting|meeting_change_key)\}")


def placeholders(soap: dict[str, Soap], text: str) -> str:
    """The request with its ids filled in from the mailboxes as they are now."""
    def ids(user: str, folder: str, kind: str) -> list[tuple[str, str]]:
        return soap[user].find_ids(folder, kind)

    def value(m: re.Match) -> str:
        name = m.group(1)
        if name == "meeting_request":
            return ids("AdeleV@contoso.com", "inbox", "MeetingRequest")[0][0]
        if name == "meeting_response":
            return ids("AlexW@contoso.com", "inbox", "MeetingResponse")[0][0]
        meeting = ids("AlexW@contoso.com", "calendar", "CalendarItem")[0]
        return meeting[0] if name == "meeting" else meeting[1]

    return PLACEHOLDER.sub(value, text)


def differences(expected: etree._Element, actual: etree._Element, where: str = "") -> list[tuple[str, str, str]]:
    """Where ``actual`` is not ``expected`` element for element, as (path, kind, message); empty
    when it matches. Kinds: tag, attributes (the set of names), value (of one attribute), text,
    children (names and order; the children are then not compared further)."""
    here = f"{where}/{etree.QName(expected).localname}"
    if expected.tag != actual.tag:
        return [(here, "tag", f"got {actual.tag}, expected {expected.tag}")]
    out = []
    if set(expected.attrib) != set(actual.attrib):
        out.append((here, "attributes", f"attributes {sorted(actual.attrib)}, expected {sorted(expected.attrib)}"))
    for name, want in expected.attrib.items():
        got = actual.get(name)
        if got is not None and want != ANY and name not in ID_ATTRIBUTES and got != want:
            out.append((f"{here}@{name}", "value", f"{got!r}, expected {want!r}"))
    want_text, got_text = (expected.text or "").strip(), (actual.text or "").strip()
    if want_text != ANY and want_text != got_text:
        out.append((here, "text", f"text {got_text!r}, expected {want_text!r}"))
    want_children = [c for c in expected if isinstance(c.tag, str)]
    got_children = [c for c in actual if isinstance(c.tag, str)]
    if [c.tag for c in want_children] != [c.tag for c in got_children]:
        names = lambda children: [etree.QName(c).localname for c in children]  # noqa: E731
        return out + [(here, "children", f"children {names(got_children)}, expected {names(want_children)}")]
    for want_child, got_child in zip(want_children, got_children, strict=True):
        out += differences(want_child, got_child, here)
    return out


def listed_differences(document: etree._ElementTree) -> dict[tuple[str, str], str]:
    """The differences a response file lists: (path, kind) -> reason."""
    listed = {}
    for node in document.getroot().itersiblings(preceding=True):
        if isinstance(node, etree._ProcessingInstruction) and node.target == "replay-difference":
            fields = dict(re.findall(r'(\w+)="([^"]*)"', node.text))
            assert fields.keys() == {"path", "kind", "reason"} and fields["reason"], node.text
            listed[(fields["path"], fields["kind"])] = fields["reason"]
    return listed


def test_every_pair_has_a_source_and_a_sender():
    assert len(PAIRS) >= 8 and set(PAIRS) == set(SENDER)
    for pair in PAIRS:
        for part in ("request", "response"):
            text = (REPLAY / f"{pair}.{part}.xml").read_text()
            assert "Source: https://learn.microsoft.com/" in text, (pair, part)


def test_the_comparator_catches_a_difference():
    expected = etree.fromstring('<a x="1"><b>{any}</b><c Id="z">text</c></a>')
    assert differences(expected, etree.fromstring('<a x="1"><b>9</b><c Id="other">text</c></a>')) == []
    assert differences(expected, etree.fromstring('<a x="2"><b>9</b><c Id="z">text</c></a>'))[0][1] == "value"
    assert differences(expected, etree.fromstring('<a x="1"><c Id="z">text</c><b>9</b></a>'))[0][1] == "children"
    assert differences(expected, etree.fromstring('<a x="1"><b>9</b><c Id="z">other</c></a>'))[0][1] == "text"
    assert differences(expected, etree.fromstring('<a x="1"><b>9</b><c>text</c></a>'))[0][1] == "attributes"


def test_a_listed_difference_is_read_from_the_file_and_only_covers_its_path():
    document = etree.ElementTree(etree.fromstring(
        '<?replay-difference path="/a/b" kind="text" reason="older build"?><a><b>1</b><c>1</c></a>'))
    listed = listed_differences(document)
    assert listed == {("/a/b", "text"): "older build"}
    found = differences(document.getroot(), etree.fromstring("<a><b>2</b><c>2</c></a>"))
    assert [(path, kind) for path, kind, _ in found if (path, kind) not in listed] == [("/a/c", "text")]


def test_every_listed_difference_is_in_docs_wire_fidelity():
    page = (Path(__file__).parent.parent / "docs" / "wire-fidelity.md").read_text()
    for pair in PAIRS:
        document = etree.parse(str(REPLAY / f"{pair}.response.xml"))
        for path, kind in listed_differences(document):
            assert f"{pair}" in page and f"`{path}`" in page, (pair, path, kind)


@pytest.mark.parametrize("pair", PAIRS)
def test_replay(emulator, pair):
    soap = {user: emulator.soap(user) for user in set(SENDER.values())}
    # The pairs before this one make the state it needs (a meeting, a proposal, ...).
    for earlier in PAIRS[:PAIRS.index(pair)]:
        request = placeholders(soap, (REPLAY / f"{earlier}.request.xml").read_text())
        assert soap[SENDER[earlier]].post(request.encode()).status == 200, earlier
    request = placeholders(soap, (REPLAY / f"{pair}.request.xml").read_text())
    answer = soap[SENDER[pair]].post(request.encode())
    document = etree.parse(str(REPLAY / f"{pair}.response.xml"), etree.XMLParser(remove_comments=True))
    listed = listed_differences(document)
    found = differences(document.getroot(), etree.fromstring(answer.content))
    problems = [f"{path} ({kind}): {message}" for path, kind, message in found if (path, kind) not in listed]
    stale = [f"{path} ({kind})" for path, kind in listed if (path, kind) not in {(p, k) for p, k, _ in found}]
    assert not problems and not stale, (f"{pair}:\n" + "\n".join(problems)
                                        + "\nlisted but not found: " + ", ".join(stale)
                                        + "\n\n" + answer.content.decode())
