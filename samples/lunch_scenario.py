#!/usr/bin/env python3
"""Play the Alex/Adele lunch scenario against a running EWS endpoint with raw SOAP.

    python samples/lunch_scenario.py --endpoint http://127.0.0.1:8765/EWS/Exchange.asmx

Each step posts one envelope from samples/envelopes/ (filling in {{PLACEHOLDERS}} from
earlier answers) as the mailbox named in its file name, prints what it learned, and
stops with exit status 1 at the first answer that is not what the workflow expects.
Needs only the standard library and lxml.
"""

from __future__ import annotations

import argparse
import base64
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

from lxml import etree

ENVELOPES = Path(__file__).resolve().parent / "envelopes"
NS = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
    "t": "http://schemas.microsoft.com/exchange/services/2006/types",
}
USERS = {
    "alex": ("AlexW@contoso.com", "alex-demo-pw"),
    "adele": ("AdeleV@contoso.com", "adele-demo-pw"),
}

# Step file -> {variable: XPath into the answer}. Checks are XPath expressions that must be true.
LEARN = {
    "01-alex-creates-lunch.xml": {"MEETING_ID": "string(//t:CalendarItem/t:ItemId/@Id)"},
    "02-adele-finds-request.xml": {
        "REQUEST_ID": "string(//t:MeetingRequest/t:ItemId/@Id)",
        "REQUEST_CHANGE_KEY": "string(//t:MeetingRequest/t:ItemId/@ChangeKey)",
    },
    "05-alex-finds-responses.xml": {
        "RESPONSE_ID": "string(//t:MeetingResponse[starts-with(t:Subject, 'New Time Proposed: ')]/t:ItemId/@Id)",
    },
    "06-alex-reads-proposal.xml": {
        "PROPOSED_START": "string(//t:MeetingResponse/t:ProposedStart)",
        "PROPOSED_END": "string(//t:MeetingResponse/t:ProposedEnd)",
        "ASSOCIATED_ID": "string(//t:MeetingResponse/t:AssociatedCalendarItemId/@Id)",
    },
    "07-alex-reads-meeting.xml": {"MEETING_CHANGE_KEY": "string(//t:CalendarItem/t:ItemId/@ChangeKey)"},
}
CHECK = {
    "03-adele-gets-response-objects.xml": "boolean(//t:ResponseObjects/t:ProposeNewTime)",
    "04-adele-proposes-new-time.xml": "count(//m:Items/t:CalendarItem) = 1 and count(//m:Items/t:MeetingRequest) = 1",
    "05-alex-finds-responses.xml": "boolean(//t:MeetingResponse[t:Subject = 'Accepted: Lunch'])",
    "06-alex-reads-proposal.xml": "//t:MeetingResponse/t:AssociatedCalendarItemId/@Id = $MEETING_ID",
    "07-alex-reads-meeting.xml": "//t:RequiredAttendees/t:Attendee/t:ProposedStart = $PROPOSED_START",
    "09-adele-finds-update.xml": "//t:MeetingRequest/t:MeetingRequestType = 'FullUpdate' "
                                 "and //t:MeetingRequest/t:Start = $PROPOSED_START",
}


class ScenarioError(Exception):
    pass


def post(endpoint: str, user: str, envelope: bytes) -> tuple[int, bytes]:
    smtp, password = USERS[user]
    token = base64.b64encode(f"{smtp}:{password}".encode()).decode()
    request = urllib.request.Request(endpoint, data=envelope, method="POST", headers={
        "Content-Type": "text/xml; charset=utf-8", "Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def play(endpoint: str, out=print) -> dict[str, str]:
    """Run every step; return what was learned. Raises ScenarioError on a wrong answer."""
    learned: dict[str, str] = {}
    for path in sorted(ENVELOPES.glob("*.xml")):
        user = path.stem.split("-")[1]
        text = path.read_text()
        missing = sorted(set(re.findall(r"\{\{(\w+)\}\}", text)) - set(learned))
        if missing:
            raise ScenarioError(f"{path.name}: nothing learned yet for {', '.join(missing)}")
        for name, value in learned.items():
            text = text.replace("{{" + name + "}}", value)
        status, body = post(endpoint, user, text.encode())
        if status != 200:
            raise ScenarioError(f"{path.name}: HTTP {status}: {body[:300]!r}")
        try:
            root = etree.fromstring(body)
        except etree.XMLSyntaxError as exc:
            raise ScenarioError(f"{path.name}: the answer is not XML ({exc})") from None
        codes = root.xpath("//m:ResponseCode/text()", namespaces=NS)
        if any(code != "NoError" for code in codes):
            raise ScenarioError(f"{path.name}: {', '.join(codes)}")
        for name, xpath in LEARN.get(path.name, {}).items():
            learned[name] = root.xpath(xpath, namespaces=NS)
            if not learned[name]:
                raise ScenarioError(f"{path.name}: found no {name} ({xpath})")
        check = CHECK.get(path.name)
        if check and not root.xpath(check, namespaces=NS, **learned):
            raise ScenarioError(f"{path.name}: expected {check}")
        shown = {k: learned[k] for k in LEARN.get(path.name, {})}
        out(f"{path.stem:<34} {user:<6} ok {shown if shown else ''}".rstrip())
    return learned


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:8765/EWS/Exchange.asmx")
    args = parser.parse_args()
    try:
        learned = play(args.endpoint)
    except (ScenarioError, OSError) as exc:
        print(f"lunch scenario failed: {exc}", file=sys.stderr)
        return 1
    print(f"Meeting moved to the proposed time {learned['PROPOSED_START']} - {learned['PROPOSED_END']}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
