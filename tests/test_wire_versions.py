"""Issue 13: the server's own Version string per build, the schema versions each build
accepts, and answers that carry only the requested schema version's elements."""

from __future__ import annotations

import pytest
from lxml import etree

from ews_propose import schemas
from ews_propose.versions import (
    DEFAULT_BUILD,
    ELEMENTS_SINCE,
    SCHEMA_VERSIONS,
    Build,
    schema_has_element,
    schema_rank,
)

from .conftest import schema_errors

LUNCH = ("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
NEXT_DAY = ("2026-12-02T12:00:00Z", "2026-12-02T13:00:00Z")
GET_INBOX = ("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
             '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')

# build -> (ServerVersionInfo Version as published answers show it, a version it accepts)
BUILDS = {
    "14.03.0123.004": ("Exchange2010_SP2", "Exchange2010_SP2"),
    "15.00.0775.038": ("V2_4", "Exchange2013"),
    "15.00.0800.007": ("V2_6", "Exchange2013_SP1"),
    "15.00.0847.032": ("V2_8", "Exchange2013_SP1"),
    "15.01.2507.006": ("V2017_07_11", "V2018_01_08"),
    "15.02.1544.004": ("V2017_07_11", "V2018_01_08"),
    "15.20.2516.014": ("V2018_01_08", "V2018_01_08"),
}


@pytest.mark.parametrize("build", [pytest.param(b, marks=pytest.mark.server_build(b)) for b in BUILDS])
def test_server_version_info_is_the_servers_own(emulator, build):
    version, accepted = BUILDS[build]
    alex = emulator.soap("AlexW@contoso.com", version=None)
    for requested in (None, "Exchange2010_SP2" if build != "14.03.0123.004" else "Exchange2007_SP1", accepted):
        info = alex.call(GET_INBOX, version=requested).first("//s:Header/t:ServerVersionInfo")
        parsed = Build.parse(build)
        assert (info.get("MajorVersion"), info.get("MinorVersion"), info.get("MajorBuildNumber"),
                info.get("MinorBuildNumber")) == tuple(map(str, (parsed.major, parsed.minor, parsed.build,
                                                                  parsed.revision)))
        assert info.get("Version") == version  # never an echo of the request


def test_default_build_is_2019_cu14_reporting_v2017_07_11():
    assert str(DEFAULT_BUILD) == "15.02.1544.004" and DEFAULT_BUILD.version_string == "V2017_07_11"


@pytest.mark.server_build("15.00.0800.007")
def test_the_feature_build_takes_the_managed_apis_default_version(emulator):
    """Exchange2013_SP1 (the EWS Managed API's and its ports' default) is accepted by the
    build that introduced ProposeNewTime, and a proposal under it goes through."""
    alex = emulator.soap("AlexW@contoso.com", version="Exchange2013_SP1")
    adele = emulator.soap("AdeleV@contoso.com", version="Exchange2013_SP1")
    assert alex.call(GET_INBOX).response_codes == ["NoError"]
    alex.create_meeting("Lunch", *LUNCH)
    ((request_id, _),) = adele.find_ids("inbox", "MeetingRequest")
    assert adele.reply(request_id, proposed=NEXT_DAY).response_codes == ["NoError"]
    # Newer than that is still refused.
    assert alex.call(GET_INBOX, version="Exchange2015").fault_code == "ErrorInvalidServerVersion"


@pytest.mark.server_build("15.00.0775.038")
def test_the_build_before_the_feature_stops_at_exchange2013(emulator):
    alex = emulator.soap("AlexW@contoso.com")
    assert alex.call(GET_INBOX, version="Exchange2013").response_codes == ["NoError"]
    assert alex.call(GET_INBOX, version="Exchange2013_SP1").fault_code == "ErrorInvalidServerVersion"


def all_properties(soap, item_id: str, version: str):
    return soap.call('<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape><t:AdditionalProperties>'
                     '<t:FieldURI FieldURI="item:TextBody"/></t:AdditionalProperties></m:ItemShape>'
                     f'<m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>', version=version)


def children(answer, element: str) -> list[str]:
    (item,) = answer.xpath(f"//m:Items/t:{element}")
    return [etree.QName(child).localname for child in item]


@pytest.mark.parametrize("version", ["Exchange2007_SP1", "Exchange2010_SP2", "Exchange2012", "Exchange2013",
                                     "V2018_01_08"])
def test_meeting_response_and_cancellation_carry_only_the_versions_elements(emulator, version):
    alex, adele = emulator.soap("AlexW@contoso.com"), emulator.soap("AdeleV@contoso.com")
    meeting_id, _ = alex.create_meeting("Lunch", *LUNCH)
    ((request_id, _),) = adele.find_ids("inbox", "MeetingRequest")
    assert adele.reply(request_id, proposed=NEXT_DAY).response_codes == ["NoError"]
    ((response_id, _),) = alex.find_ids("inbox", "MeetingResponse")
    cancelled = alex.call('<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations='
                          f'"SendToAllAndSaveCopy"><m:ItemIds><t:ItemId Id="{meeting_id}"/></m:ItemIds>'
                          "</m:DeleteItem>")
    assert cancelled.response_codes == ["NoError"]
    ((cancellation_id, _),) = adele.find_ids("inbox", "MeetingCancellation")

    new = schema_rank(version) >= schema_rank("Exchange2013")
    answer = all_properties(alex, response_id, version)
    names = children(answer, "MeetingResponse")
    for element in ("Start", "End", "Location", "CalendarItemType", "ProposedStart", "ProposedEnd", "TextBody"):
        assert (element in names) == new, (element, version, names)
    cancellation = all_properties(adele, cancellation_id, version)
    names = children(cancellation, "MeetingCancellation")
    for element in ("Start", "End", "Location", "CalendarItemType"):
        assert (element in names) == new, (element, version, names)
    # The answer validates against wsdl/ as that version sees it, and an old version's
    # view rejects the newer answer (the view is not vacuous).
    assert schema_errors(answer.content, f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
                         f'<s:Header><t:RequestServerVersion xmlns:t="http://schemas.microsoft.com/exchange/'
                         f'services/2006/types" Version="{version}"/></s:Header></s:Envelope>'.encode()) == []
    if new:
        assert schema_errors(answer.content, b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>')


def test_the_version_table_matches_the_schema_views():
    for version in SCHEMA_VERSIONS:
        types = schemas.types_document(version).getroot()
        for type_name, elements in ELEMENTS_SINCE.items():
            (declared,) = types.xpath(f"//xs:complexType[@name='{type_name}']",
                                      namespaces={"xs": "http://www.w3.org/2001/XMLSchema"})
            present = {el.get("name") for el in declared.iter("{http://www.w3.org/2001/XMLSchema}element")}
            for element in elements:
                in_wsdl = bool(schemas.types_document().xpath(
                    f"//xs:complexType[@name='{type_name}']//xs:element[@name='{element}']",
                    namespaces={"xs": "http://www.w3.org/2001/XMLSchema"}))
                if in_wsdl:
                    assert (element in present) == schema_has_element(type_name, element, version)
