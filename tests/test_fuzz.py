"""Property-based fuzzing of the SOAP surface: valid envelopes for every operation,
mutated (elements dropped, duplicated, reordered, renamed, retyped; attributes
changed), and raw bytes. Whatever arrives, the answer is a well-formed SOAP response
or fault (HTTP 200 or 500, text/xml, a parseable envelope), never a plain-text error,
a traceback or an internal error, and the server answers a valid request afterwards.

A boundary property puts edge values (the ends of time with extreme offsets, extreme
integers and biases, both UID forms, long strings, ids and recipients repeated) where
each template has a value of that kind, and every input that ever failed is replayed
from tests/fuzz_corpus/.

EWS_FUZZ_EXAMPLES=N runs N examples per operation and property (default 25: the fixed
budget CI runs, about 20 s in all).
"""

from __future__ import annotations

import base64
import copy
import logging
import os
import re
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ews_propose.server import EmulatorServer, ServerConfig

from .ews import NS, PASSWORDS, Soap, envelope
from .stores import store_for

EXAMPLES = int(os.environ.get("EWS_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ALEX, ADELE = "AlexW@contoso.com", "AdeleV@contoso.com"
LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
PROPOSAL = "<t:ProposedStart>2026-12-02T12:00:00Z</t:ProposedStart><t:ProposedEnd>2026-12-02T13:00:00Z</t:ProposedEnd>"


class ErrorLog(logging.Handler):
    """Every ERROR the emulator logs (an internal error is logged before it is answered)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


class Server(EmulatorServer):
    def __repr__(self) -> str:
        return f"<emulator at {self.endpoint}>"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    errors = ErrorLog()
    logger = logging.getLogger("ews_propose")
    logger.addHandler(errors)
    store = store_for(tmp_path_factory.mktemp("fuzz"))
    server = Server(ServerConfig(port=0, store=store)).start()
    try:
        yield server, errors
    finally:
        server.stop()
        logger.removeHandler(errors)


@pytest.fixture(scope="module")
def templates(fuzz_server):
    """A valid envelope per operation (and per reply kind), with real ids."""
    server, _ = fuzz_server
    alex, adele = Soap(server.endpoint, ALEX), Soap(server.endpoint, ADELE)
    meeting_id, _ = alex.create_meeting("Fuzz lunch", *LUNCH, attendees=(ADELE, "MeganB@contoso.com"))
    ((request_id, _),) = adele.find_ids("inbox", "MeetingRequest")
    ((calendar_id, _),) = adele.find_ids("calendar", "CalendarItem")
    draft = adele.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
                       "<t:Subject>draft</t:Subject></t:Message></m:Items></m:CreateItem>")
    draft_id = draft.first("//t:Message/t:ItemId").get("Id")
    sent_folder = adele.call('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
                             '<m:FolderIds><t:DistinguishedFolderId Id="sentitems"/></m:FolderIds></m:GetFolder>'
                             ).first("//t:FolderId").get("Id")
    attendees = ("<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>AdeleV@contoso.com</t:EmailAddress>"
                 "</t:Mailbox></t:Attendee></t:RequiredAttendees><t:Resources><t:Attendee><t:Mailbox>"
                 "<t:EmailAddress>Rainier@contoso.com</t:EmailAddress></t:Mailbox></t:Attendee></t:Resources>")

    def reply(kind: str, proposal: str = "") -> str:
        return (f'<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:{kind}>'
                f'<t:Body BodyType="Text">How about Wednesday?</t:Body>'
                f'<t:ReferenceItemId Id="{calendar_id}"/>{proposal}</t:{kind}></m:Items></m:CreateItem>')

    bodies = {
        "GetFolder": (ADELE, '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
                             '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/>'
                             '<t:DistinguishedFolderId Id="calendar"/>'
                             f'<t:FolderId Id="{sent_folder}"/></m:FolderIds></m:GetFolder>'),
        "FindItem": (ADELE, '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape>'
                            '<t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/>'
                            '<t:FieldURI FieldURI="calendar:Start"/></t:AdditionalProperties></m:ItemShape>'
                            '<m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="Beginning"/>'
                            '<m:Restriction><t:And><t:Contains ContainmentMode="Substring" '
                            'ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Subject"/>'
                            '<t:Constant Value="lunch"/></t:Contains><t:IsGreaterThan>'
                            '<t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant>'
                            '<t:Constant Value="2020-01-01T00:00:00Z"/></t:FieldURIOrConstant></t:IsGreaterThan>'
                            '</t:And></m:Restriction><m:SortOrder><t:FieldOrder Order="Descending">'
                            '<t:FieldURI FieldURI="item:DateTimeReceived"/></t:FieldOrder></m:SortOrder>'
                            '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds>'
                            '</m:FindItem>'),
        "FindItem-CalendarView": (ALEX, '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>AllProperties'
                                        '</t:BaseShape></m:ItemShape><m:CalendarView MaxEntriesReturned="5" '
                                        'StartDate="2026-11-30T00:00:00Z" EndDate="2026-12-05T00:00:00Z"/>'
                                        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/>'
                                        '</m:ParentFolderIds></m:FindItem>'),
        "GetItem": (ADELE, '<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape>'
                           '<t:AdditionalProperties><t:FieldURI FieldURI="item:ResponseObjects"/>'
                           '</t:AdditionalProperties></m:ItemShape><m:ItemIds>'
                           f'<t:ItemId Id="{request_id}"/><t:ItemId Id="{calendar_id}"/></m:ItemIds></m:GetItem>'),
        "CreateItem-CalendarItem": (ALEX, '<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:Items>'
                                          '<t:CalendarItem><t:Subject>Fuzz</t:Subject>'
                                          '<t:Body BodyType="HTML">&lt;p&gt;hi&lt;/p&gt;</t:Body>'
                                          f'<t:Start>{LUNCH[0]}</t:Start><t:End>{LUNCH[1]}</t:End>'
                                          '<t:Location>Cafe</t:Location>'
                                          f'{attendees}<t:AllowNewTimeProposal>true</t:AllowNewTimeProposal>'
                                          '</t:CalendarItem></m:Items></m:CreateItem>'),
        "CreateItem-Message": (ADELE, '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:Message>'
                                      '<t:Subject>Note</t:Subject><t:Body BodyType="Text">x</t:Body>'
                                      '<t:ToRecipients><t:Mailbox><t:EmailAddress>AlexW@contoso.com'
                                      '</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message></m:Items>'
                                      '</m:CreateItem>'),
        "AcceptItem": (ADELE, reply("AcceptItem")),
        "TentativelyAcceptItem": (ADELE, reply("TentativelyAcceptItem", PROPOSAL)),
        "DeclineItem": (ADELE, reply("DeclineItem", PROPOSAL)),
        "UpdateItem": (ALEX, '<m:UpdateItem ConflictResolution="AutoResolve" '
                             'SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges>'
                             f'<t:ItemChange><t:ItemId Id="{meeting_id}"/><t:Updates>'
                             '<t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem>'
                             '<t:Start>2026-12-02T12:00:00Z</t:Start></t:CalendarItem></t:SetItemField>'
                             '<t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem>'
                             '<t:End>2026-12-02T13:00:00Z</t:End></t:CalendarItem></t:SetItemField>'
                             '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem>'
                             '<t:Subject>Moved</t:Subject></t:CalendarItem></t:SetItemField>'
                             '<t:DeleteItemField><t:FieldURI FieldURI="calendar:Location"/></t:DeleteItemField>'
                             '</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>'),
        "DeleteItem": (ADELE, '<m:DeleteItem DeleteType="MoveToDeletedItems" '
                              'SendMeetingCancellations="SendToNone"><m:ItemIds>'
                              f'<t:ItemId Id="{draft_id}"/></m:ItemIds></m:DeleteItem>'),
        "ConvertId": (ADELE, '<m:ConvertId DestinationFormat="EwsId"><m:SourceIds>'
                             f'<t:AlternateId Format="EwsId" Id="{request_id}" Mailbox="AdeleV@contoso.com"/>'
                             '</m:SourceIds></m:ConvertId>'),
        "GetUserAvailabilityRequest": (
            ALEX, "<m:GetUserAvailabilityRequest><t:TimeZone><t:Bias>480</t:Bias><t:StandardTime><t:Bias>0</t:Bias>"
                  "<t:Time>02:00:00</t:Time><t:DayOrder>1</t:DayOrder><t:Month>11</t:Month>"
                  "<t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>-60</t:Bias>"
                  "<t:Time>02:00:00</t:Time><t:DayOrder>2</t:DayOrder><t:Month>3</t:Month>"
                  "<t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone><m:MailboxDataArray>"
                  "<t:MailboxData><t:Email><t:Address>AdeleV@contoso.com</t:Address></t:Email>"
                  "<t:AttendeeType>Required</t:AttendeeType></t:MailboxData><t:MailboxData><t:Email>"
                  "<t:Address>Rainier@contoso.com</t:Address></t:Email><t:AttendeeType>Room</t:AttendeeType>"
                  "</t:MailboxData></m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow>"
                  "<t:StartTime>2026-12-01T00:00:00</t:StartTime><t:EndTime>2026-12-02T00:00:00</t:EndTime>"
                  "</t:TimeWindow><t:MergedFreeBusyIntervalInMinutes>60</t:MergedFreeBusyIntervalInMinutes>"
                  "<t:RequestedView>DetailedMerged</t:RequestedView></t:FreeBusyViewOptions>"
                  "</m:GetUserAvailabilityRequest>"),
        "GetServerTimeZones": (ADELE, '<m:GetServerTimeZones ReturnFullTimeZoneData="true"><m:Ids>'
                                      "<t:Id>Pacific Standard Time</t:Id><t:Id>UTC</t:Id></m:Ids>"
                                      "</m:GetServerTimeZones>"),
    }
    header = '<t:TimeZoneContext><t:TimeZoneDefinition Id="W. Europe Standard Time"/></t:TimeZoneContext>'
    found = Templates({name: (user, envelope(body, header=header)) for name, (user, body) in bodies.items()})
    found.ids = {"meeting_id": meeting_id, "request_id": request_id, "calendar_id": calendar_id, "draft_id": draft_id}
    return found


class Templates(dict):
    ids: dict[str, str]

    def __repr__(self) -> str:  # keeps hypothesis's failure reports readable
        return f"<{len(self)} envelopes>"



def post(endpoint: str, user: str, data: bytes) -> requests.Response:
    return requests.post(endpoint, data=data, auth=(user, PASSWORDS[user]), timeout=30,
                         headers={"Content-Type": "text/xml; charset=utf-8"})


def check_answer(r: requests.Response, errors: ErrorLog, too_large_ok: bool = False) -> None:
    """A well-formed EWS answer: 200 with a response or 500 with a fault, both text/xml
    (or, for a request over the size limit when allowed, 413 with the ErrorRequestStreamTooBig fault)."""
    if too_large_ok and r.status_code == 413:
        assert b"ErrorRequestStreamTooBig" in r.content, r.content[:300]
        assert not errors.records, errors.records
        return
    assert r.status_code in (200, 500), (r.status_code, r.content[:300])
    assert r.headers["Content-Type"].startswith("text/xml"), r.headers
    assert b"Traceback" not in r.content
    root = etree.fromstring(r.content)
    assert root.tag == f"{{{NS['s']}}}Envelope"
    body = root.find(f"{{{NS['s']}}}Body")
    assert body is not None and len(body) == 1
    fault = body.find(f"{{{NS['s']}}}Fault")
    if r.status_code == 500:
        assert fault is not None
        code = fault.findtext(f"detail/{{{NS['e']}}}ResponseCode")
        assert code and code != "ErrorInternalServerError", r.content[:1500]
    else:
        assert fault is None
        assert b"ErrorInternalServerError" not in r.content, r.content[:1500]
    assert not errors.records, errors.records


def check_still_serving(endpoint: str) -> None:
    r = post(endpoint, ADELE, envelope('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape>'
                                       '</m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/>'
                                       '</m:FolderIds></m:GetFolder>'))
    assert r.status_code == 200 and b"NoError" in r.content


# --- mutations ---------------------------------------------------------------------

TEXTS = st.one_of(
    st.sampled_from(["", " ", "-1", "0", "1", "99999999999999999999999", "true", "false", "maybe", "NaN",
                     "2026-12-01T12:00:00Z", "2026-12-01T12:00:00", "2026-02-30T25:61:00Z", "0001-01-01T00:00:00Z",
                     "9999-12-31T23:59:59Z", "P1D", "AAAA", "AUVQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                     "AkVQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "DUMMY", "inbox", "calendar", "root", "Exchange2007",
                     "Exchange2019", "V2018_01_08", "SendToNone", "SendOnlyToAll", "IdOnly", "AllProperties",
                     "item:Subject", "calendar:Start", "meeting:ProposedStart", "nobody@contoso.com",
                     "AlexW@contoso.com", "Rainier@contoso.com", "Pacific Standard Time", "Atlantis", "x" * 5000]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
)
T_NS, M_NS = NS["t"], NS["m"]
TAGS = st.sampled_from([
    f"{{{T_NS}}}ItemId", f"{{{T_NS}}}FieldURI", f"{{{T_NS}}}CalendarItem", f"{{{T_NS}}}Message",
    f"{{{T_NS}}}Start", f"{{{T_NS}}}End", f"{{{T_NS}}}ProposedStart", f"{{{T_NS}}}Attendee",
    f"{{{T_NS}}}Mailbox", f"{{{T_NS}}}DistinguishedFolderId", f"{{{T_NS}}}FolderId", f"{{{T_NS}}}BaseShape",
    f"{{{T_NS}}}Constant", f"{{{T_NS}}}IsEqualTo", f"{{{T_NS}}}Not", f"{{{T_NS}}}Exists",
    f"{{{T_NS}}}AcceptItem", f"{{{T_NS}}}ReferenceItemId", f"{{{M_NS}}}Items", f"{{{M_NS}}}ItemIds",
    f"{{{M_NS}}}GetItem", f"{{{M_NS}}}ParentFolderIds", f"{{{M_NS}}}IndexedPageItemView",
    f"{{{T_NS}}}RequestServerVersion", f"{{{T_NS}}}ExchangeImpersonation", f"{{{T_NS}}}TimeZoneDefinition",
    "{urn:unknown}Thing", "Unqualified",
])
ATTRIBUTES = st.sampled_from(["Id", "ChangeKey", "Version", "FieldURI", "Traversal", "MaxEntriesReturned",
                              "Offset", "BasePoint", "StartDate", "EndDate", "DeleteType", "MessageDisposition",
                              "SendMeetingInvitations", "ConflictResolution", "BodyType", "Value", "Order",
                              "DestinationFormat", "Format", "Mailbox", "ReturnFullTimeZoneData", "Junk"])
MUTATIONS = st.sampled_from(["drop", "duplicate", "reorder", "rename", "text", "child-for-text", "attribute",
                             "drop-attribute"])


def mutate(document: bytes, data) -> bytes:
    root = etree.fromstring(document)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        elements = [el for el in root.iter() if el is not root and isinstance(el.tag, str)]
        if not elements:
            break
        el = data.draw(st.sampled_from(elements), label="element")
        parent = el.getparent()
        what = data.draw(MUTATIONS, label="mutation")
        if what == "drop":
            parent.remove(el)
        elif what == "duplicate":
            el.addnext(copy.deepcopy(el))
        elif what == "reorder":
            parent.remove(el)
            parent.insert(data.draw(st.integers(0, len(parent)), label="position"), el)
        elif what == "rename":
            el.tag = data.draw(TAGS, label="tag")
        elif what == "text":
            el.text = data.draw(TEXTS, label="text")
        elif what == "child-for-text":
            el.text = None
            etree.SubElement(el, data.draw(TAGS, label="tag")).text = data.draw(TEXTS, label="text")
        elif what == "attribute":
            el.set(data.draw(ATTRIBUTES, label="attribute"), data.draw(TEXTS, label="value"))
        elif el.attrib:
            del el.attrib[data.draw(st.sampled_from(sorted(el.attrib)), label="attribute")]
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


OPERATIONS = ["GetFolder", "FindItem", "FindItem-CalendarView", "GetItem", "CreateItem-CalendarItem",
              "CreateItem-Message", "AcceptItem", "TentativelyAcceptItem", "DeclineItem", "UpdateItem",
              "DeleteItem", "ConvertId", "GetUserAvailabilityRequest", "GetServerTimeZones"]


def test_every_template_is_valid(fuzz_server, templates):
    server, errors = fuzz_server
    assert sorted(templates) == sorted(OPERATIONS)
    for name, (user, document) in templates.items():
        r = post(server.endpoint, user, document)
        assert r.status_code == 200 and b'ResponseClass="Error"' not in r.content, (name, r.content[:1500])
        check_answer(r, errors)


@pytest.mark.parametrize("operation", OPERATIONS)
@FUZZ
@given(data=st.data())
def test_mutated_envelopes_get_well_formed_answers(fuzz_server, templates, operation, data):
    server, errors = fuzz_server
    user, document = templates[operation]
    check_answer(post(server.endpoint, user, mutate(document, data)), errors)
    check_still_serving(server.endpoint)


# --- boundaries ----------------------------------------------------------------------
# Values at the edges of what the schema allows, put where the template has a value of
# the same kind: the ends of time with extreme offsets, extreme integers and biases,
# times of day, both UID forms, long strings, and ids and recipients repeated.

BOUNDARY = {
    "datetime": ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00",
                 "0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59",
                 "9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00.9999999Z",
                 "9999-12-31T23:59:59.9999999Z", "2026-12-01T12:00:00+23:59", "2026-12-01T12:00:00-23:59",
                 "2026-12-01T12:00:00+24:00", "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z"],
    "integer": ["0", "-1", "1", "2147483647", "2147483648", "-2147483648", "-2147483649",
                "9223372036854775807", "99999999999999999999999999", "1440", "-1440", "1441", "-1441",
                "100000", "-100000", "13", "5", "007", "+1", " 1 "],
    "time": ["00:00:00", "23:59:59", "24:00:00", "23:60:00", "-01:00:00", "99:99:99", "12:00:00.9999999"],
    "text": ["x" * 200_000, "\u00e9" * 30_000, "040000008200E00074C5B7101A82E0080000000000000000000000000000000000000000"
             "3100000076436172000000000000000000000000000000000000000000000000", "{c0a8e2b3-1f4d-4a5e-9b1c-000000000000}",
             "", " "],
}
KIND_OF = [("datetime", re.compile(r"^\d{4}-\d\d-\d\dT")), ("time", re.compile(r"^\d\d:\d\d:\d\d$")),
           ("integer", re.compile(r"^-?\d+$"))]
REPEATABLE = {"ItemId", "Attendee", "Mailbox", "MailboxData", "Id", "FieldURI", "DistinguishedFolderId",
              "FolderId", "AlternateId", "ItemChange", "SetItemField"}


def _kind(value: str | None) -> str:
    for kind, pattern in KIND_OF:
        if value and pattern.match(value):
            return kind
    return "text"


def at_boundaries(document: bytes, data) -> bytes:
    root = etree.fromstring(document)
    slots = []  # (element, attribute or None, kind)
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).localname in ("RequestServerVersion", "TimeZoneDefinition"):
            continue
        if el.text and el.text.strip() and len(el) == 0:
            slots.append((el, None, _kind(el.text.strip())))
        for name, value in el.attrib.items():
            if name not in ("Id", "ChangeKey") or data.draw(st.booleans(), label="ids too"):
                slots.append((el, name, _kind(value)))
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        el, name, kind = data.draw(st.sampled_from(slots), label="slot")
        value = data.draw(st.sampled_from(BOUNDARY[kind]), label="value")
        if name is None:
            el.text = value
        else:
            el.set(name, value)
    repeatable = [el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname in REPEATABLE]
    if repeatable and data.draw(st.booleans(), label="repeat"):
        el = data.draw(st.sampled_from(repeatable), label="repeated")
        times = data.draw(st.sampled_from([1, 49, 1000]), label="times")
        # Stay under the request limit (4 MiB by default): the point is repetition, not size.
        for _ in range(min(times, 3_000_000 // len(etree.tostring(el)))):
            el.addnext(copy.deepcopy(el))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


@pytest.mark.parametrize("operation", OPERATIONS)
@FUZZ
@given(data=st.data())
def test_boundary_values_get_well_formed_answers(fuzz_server, templates, operation, data):
    server, errors = fuzz_server
    user, document = templates[operation]
    check_answer(post(server.endpoint, user, at_boundaries(document, data)), errors, too_large_ok=True)
    check_still_serving(server.endpoint)


CORPUS = sorted((Path(__file__).parent / "fuzz_corpus").glob("*.xml"))


def test_corpus_inputs_get_well_formed_answers(fuzz_server, templates):
    """Every input that once failed (tests/fuzz_corpus/), replayed in order."""
    server, errors = fuzz_server
    assert len(CORPUS) >= 8
    for path in CORPUS:
        text = path.read_text(encoding="utf-8")
        first, _, document = text.partition("\n")
        user = re.match(r"<!-- user: (\S+) \|", first).group(1)
        for name, value in templates.ids.items():
            document = document.replace("{" + name + "}", value)
        r = post(server.endpoint, user, document.encode("utf-8"))
        try:
            check_answer(r, errors)
        except AssertionError as exc:
            raise AssertionError(f"{path.name}: {exc}") from None
    check_still_serving(server.endpoint)


# Header values as HTTP allows them (visible ASCII, space, obs-text); a DEL or a control
# character is waitress's 400 before the application sees the request.
AUTH_TEXT = st.text(st.sampled_from([chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x100))]), max_size=80)


@FUZZ
@given(scheme=st.sampled_from(["Basic ", "Bearer ", "basic ", "Digest ", "", "NTLM "]), value=AUTH_TEXT,
       encode=st.booleans())
def test_garbled_credentials_get_401(fuzz_server, templates, scheme, value, encode):
    server, errors = fuzz_server
    if encode:  # well-formed base64 of a wrong user:password
        value = base64.b64encode(value.encode("latin-1")).decode()
    r = requests.post(server.endpoint, data=templates["GetFolder"][1], timeout=30,
                      headers={"Content-Type": "text/xml", "Authorization": (scheme + value).strip()})
    assert r.status_code == 401, r.content[:300]
    assert r.headers["WWW-Authenticate"].startswith('Basic realm="')
    assert not errors.records, errors.records
    check_still_serving(server.endpoint)


@FUZZ
@given(data=st.data())
def test_damaged_bytes_get_well_formed_answers(fuzz_server, templates, data):
    server, errors = fuzz_server
    user, document = templates[data.draw(st.sampled_from(OPERATIONS), label="operation")]
    how = data.draw(st.sampled_from(["truncate", "insert", "overwrite", "random"]), label="damage")
    at = data.draw(st.integers(0, len(document)), label="position")
    noise = data.draw(st.binary(min_size=1, max_size=64), label="bytes")
    damaged = {"truncate": document[:at], "insert": document[:at] + noise + document[at:],
               "overwrite": document[:at] + noise + document[at + len(noise):], "random": noise}[how]
    check_answer(post(server.endpoint, user, damaged), errors)
    check_still_serving(server.endpoint)
