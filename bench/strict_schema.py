"""What strict requests (on by default; serve --lax-schema turns them off) cost: the
validation of one request body, then of its SOAP headers and body together, against the
compiled schema, and whole calls with and without it (docs/wire-fidelity.md).

    .venv/bin/python bench/strict_schema.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ews_propose import schemas  # noqa: E402
from ews_propose.server import EmulatorServer, ServerConfig  # noqa: E402
from ews_propose.soap.validation import check_request  # noqa: E402
from tests.ews import Soap, envelope  # noqa: E402

ATTENDEES = "".join(f"<t:Attendee><t:Mailbox><t:EmailAddress>user{n}@contoso.com</t:EmailAddress></t:Mailbox>"
                    "</t:Attendee>" for n in range(10))
BODIES = {
    "GetFolder": ("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
                  '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>'),
    "CreateItem (meeting, 10 attendees)": (
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem><t:Subject>Lunch</t:Subject>'
        '<t:Body BodyType="Text">Let us eat.</t:Body><t:Start>2026-12-01T12:00:00Z</t:Start>'
        "<t:End>2026-12-01T13:00:00Z</t:End><t:Location>Cafe</t:Location>"
        f"<t:RequiredAttendees>{ATTENDEES}</t:RequiredAttendees></t:CalendarItem></m:Items></m:CreateItem>"),
    "FindItem (restriction, sort)": (
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        '<m:IndexedPageItemView MaxEntriesReturned="50" Offset="0" BasePoint="Beginning"/>'
        '<m:Restriction><t:And><t:IsEqualTo><t:FieldURI FieldURI="item:Subject"/><t:FieldURIOrConstant>'
        '<t:Constant Value="Lunch"/></t:FieldURIOrConstant></t:IsEqualTo><t:Exists>'
        '<t:FieldURI FieldURI="calendar:Start"/></t:Exists></t:And></m:Restriction>'
        '<m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:DateTimeReceived"/>'
        '</t:FieldOrder></m:SortOrder><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds>'
        "</m:FindItem>"),
}


def per_call(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    t = time.perf_counter()
    schemas.messages_schema("Exchange2013")
    print(f"compile one schema view: {(time.perf_counter() - t) * 1000:.1f} ms (once per process and view)")
    for name, body in BODIES.items():
        root = etree.fromstring(envelope(body, "Exchange2013"))
        operation = root.find("{*}Body")[0]
        assert schemas.request_violation(operation, "Exchange2013") is None, name
        cost = per_call(lambda op=operation: schemas.request_violation(op, "Exchange2013"), 2000)
        print(f"validate {name}: {cost * 1e6:.0f} µs")
        data = envelope(body, "Exchange2013", '<t:TimeZoneContext><t:TimeZoneDefinition Id="UTC"/></t:TimeZoneContext>')
        root = etree.fromstring(data)
        header, operation = root.find("{*}Header"), root.find("{*}Body")[0]
        cost = per_call(lambda h=header, op=operation, d=data: check_request(h, op, "Exchange2013", d), 2000)
        print(f"validate {name} with its headers (RequestServerVersion, TimeZoneContext): {cost * 1e6:.0f} µs")
    for strict in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            server = EmulatorServer(ServerConfig(port=0, store=str(Path(tmp) / "s.sqlite3"),
                                                 strict_schema=strict, inspector=False)).start()
            try:
                alex = Soap(server.endpoint, "AlexW@contoso.com")
                body = BODIES["GetFolder"]
                for _ in range(50):
                    alex.call(body)
                times = []
                for _ in range(500):
                    start = time.perf_counter()
                    alex.call(body)
                    times.append(time.perf_counter() - start)
                times.sort()
                print(f"GetFolder round trip, strict={strict}: median {statistics.median(times) * 1000:.2f} ms, "
                      f"p99 {times[int(len(times) * 0.99)] * 1000:.2f} ms")
            finally:
                server.stop()


if __name__ == "__main__":
    main()
