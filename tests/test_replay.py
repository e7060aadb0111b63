"""Issue 13, item 6: record and replay. tests/replay/ holds request/response pairs written
from Microsoft's documentation examples (each file names its source page), reshaped to
the demo mailboxes; the pairs run in order against a real emulator, and the answer to
each must match the expected response element for element.

The comparator is small and explicit: same elements (namespace and name, prefixes aside)
in the same order, the same attributes, the same text; an expected value ``{any}`` stands
for a per-run value (an id, a change key, a time the server stamps, a build number), and
the Id / ChangeKey attributes of ids are never compared. Where the emulator legitimately
answers otherwise than the documentation example, the pair's response file says so in its
opening comment (and docs/wire-fidelity.md lists it).
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
    "01-getfolder": "AlexW@contoso.com",
    "02-createitem-meeting": "AlexW@contoso.com",
    "03-finditem-inbox": "AdeleV@contoso.com",
    "04-getitem-response-objects": "AdeleV@contoso.com",
    "05-tentativelyaccept-proposal": "AdeleV@contoso.com",
    "06-getitem-meeting-response": "AlexW@contoso.com",
    "07-updateitem-move-meeting": "AlexW@contoso.com",
    "08-acceptitem": "AdeleV@contoso.com",
    "09-getuseravailability": "AlexW@contoso.com",
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


def differences(expected: etree._Element, actual: etree._Element, where: str = "") -> list[str]:
    """Where ``actual`` is not ``expected`` element for element (empty when it matches)."""
    here = f"{where}/{etree.QName(expected).localname}"
    if expected.tag != actual.tag:
        return [f"{here}: got {actual.tag}, expected {expected.tag}"]
    out = []
    if set(expected.attrib) != set(actual.attrib):
        out.append(f"{here}: attributes {sorted(actual.attrib)}, expected {sorted(expected.attrib)}")
    for name, want in expected.attrib.items():
        got = actual.get(name)
        if got is not None and want != ANY and name not in ID_ATTRIBUTES and got != want:
            out.append(f"{here}@{name}: {got!r}, expected {want!r}")
    want_text, got_text = (expected.text or "").strip(), (actual.text or "").strip()
    if want_text != ANY and want_text != got_text:
        out.append(f"{here}: text {got_text!r}, expected {want_text!r}")
    want_children = [c for c in expected if isinstance(c.tag, str)]
    got_children = [c for c in actual if isinstance(c.tag, str)]
    if [c.tag for c in want_children] != [c.tag for c in got_children]:
        names = lambda children: [etree.QName(c).localname for c in children]  # noqa: E731
        return out + [f"{here}: children {names(got_children)}, expected {names(want_children)}"]
    for want_child, got_child in zip(want_children, got_children, strict=True):
        out += differences(want_child, got_child, here)
    return out


def test_every_pair_has_a_source_and_a_sender():
    assert len(PAIRS) >= 8 and set(PAIRS) == set(SENDER)
    for pair in PAIRS:
        for part in ("request", "response"):
            text = (REPLAY / f"{pair}.{part}.xml").read_text()
            assert "Source: https://learn.microsoft.com/" in text, (pair, part)


def test_the_comparator_catches_a_difference():
    expected = etree.fromstring('<a x="1"><b>{any}</b><c Id="z">text</c></a>')
    assert differences(expected, etree.fromstring('<a x="1"><b>9</b><c Id="other">text</c></a>')) == []
    assert differences(expected, etree.fromstring('<a x="2"><b>9</b><c Id="z">text</c></a>'))
    assert differences(expected, etree.fromstring('<a x="1"><c Id="z">text</c><b>9</b></a>'))
    assert differences(expected, etree.fromstring('<a x="1"><b>9</b><c Id="z">other</c></a>'))
    assert differences(expected, etree.fromstring('<a x="1"><b>9</b><c>text</c></a>'))


@pytest.mark.parametrize("pair", PAIRS)
def test_replay(emulator, pair):
    soap = {user: emulator.soap(user) for user in set(SENDER.values())}
    # The pairs before this one make the state it needs (a meeting, a proposal, ...).
    for earlier in PAIRS[:PAIRS.index(pair)]:
        request = placeholders(soap, (REPLAY / f"{earlier}.request.xml").read_text())
        assert soap[SENDER[earlier]].post(request.encode()).status == 200, earlier
    request = placeholders(soap, (REPLAY / f"{pair}.request.xml").read_text())
    answer = soap[SENDER[pair]].post(request.encode())
    expected = etree.parse(str(REPLAY / f"{pair}.response.xml"), etree.XMLParser(remove_comments=True))
    problems = differences(expected.getroot(), etree.fromstring(answer.content))
    assert not problems, f"{pair}:\n" + "\n".join(problems) + "\n\n" + answer.content.decode()
