"""The pytest plugin as a user meets it: the ews_emulator fixture, its request log, the
build marker, the frozen clock, and the credentials/client helpers."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap

import pytest
import requests
from freezegun import freeze_time
from lxml import etree

from ews_propose.conformance.wire import NS
from ews_propose.testing.postgresql import schemas_named

from .snippets import snippet
from .stores import URL_ENV, on_postgresql

LUNCH = ("2031-06-03T12:00:00Z", "2031-06-03T13:00:00Z")
NEXT_DAY = ("2031-06-04T12:00:00Z", "2031-06-04T13:00:00Z")


def invite(ews_emulator, subject="Lunch", allow=True) -> str:
    alex = ews_emulator.soap("AlexW@contoso.com")
    answer = alex.create_meeting(subject, *LUNCH, attendees=("AdeleV@contoso.com",), allow_proposals=allow)
    assert answer.response_codes == ["NoError"], answer.content
    return answer.first("//t:CalendarItem/t:ItemId").get("Id")


def the_request(soap) -> str:
    (request,) = [i for i in soap.find_items("inbox") if i.kind == "MeetingRequest"]
    return request.id


# --- the README example, run as a user would: a fresh pytest with only the entry point --

def readme_example() -> str:
    return snippet("pytest-example").code


def test_readme_example_runs(tmp_path):
    source = readme_example()
    assert "def test_adele_proposes_the_next_day(ews_emulator):" in source
    result = run_pytest(tmp_path, source)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


# --- the fixture ----------------------------------------------------------------------

def test_fixture_is_a_real_server_with_its_own_store(ews_emulator, tmp_path):
    assert ews_emulator.endpoint.startswith("http://127.0.0.1:")
    assert ews_emulator.endpoint.endswith("/EWS/Exchange.asmx")
    wsdl = requests.get(ews_emulator.wsdl_url, timeout=10)
    assert wsdl.status_code == 200
    assert ews_emulator.endpoint.encode() in wsdl.content  # the service address is its own
    invite(ews_emulator)
    if on_postgresql():  # the suite on PostgreSQL hands the fixture its server (tests/conftest.py)
        assert ews_emulator.store_path is None
        assert ews_emulator.store.startswith(os.environ[URL_ENV]) and "search_path" in ews_emulator.store
    else:
        assert ews_emulator.store_path.parent == tmp_path
        assert ews_emulator.store_path.stat().st_size > 0


def test_each_test_gets_a_fresh_store(ews_emulator):
    # The test above invited Adele; here her inbox is empty again.
    assert ews_emulator.soap("AdeleV@contoso.com").find_items("inbox") == []


def test_added_mailbox_can_log_in_and_take_part(ews_emulator):
    creds = ews_emulator.add_mailbox("pat@fabrikam.test", "Pat Doe", "user")
    assert creds.smtp == "pat@fabrikam.test" and len(creds.password) >= 12
    assert ews_emulator.credentials("PAT@fabrikam.test") == creds

    alex = ews_emulator.soap("AlexW@contoso.com")
    assert alex.create_meeting("Review", *LUNCH, attendees=(creds.smtp,)).response_codes == ["NoError"]
    pat = ews_emulator.soap("pat@fabrikam.test")
    assert [i.subject for i in pat.find_items("inbox")] == ["Review"]

    wrong = requests.post(ews_emulator.endpoint, data=b"<x/>", auth=(creds.smtp, "wrong"), timeout=10)
    assert wrong.status_code == 401


def test_added_room_answers_like_a_room(ews_emulator):
    room = ews_emulator.add_mailbox("everest@fabrikam.test", "Conf Room Everest", "room")
    alex = ews_emulator.soap("AlexW@contoso.com")
    alex.create_meeting("Planning", *LUNCH, attendees=(room.smtp,))
    assert [i.subject for i in alex.find_items("inbox")] == ["Accepted: Planning"]
    with pytest.raises(ValueError, match="kind"):
        ews_emulator.add_mailbox("x@fabrikam.test", "X", "robot")


def test_request_log_has_operation_xml_and_status(ews_emulator):
    meeting_id = invite(ews_emulator)
    adele = ews_emulator.soap("AdeleV@contoso.com")
    adele.reply(the_request(adele), "TentativelyAcceptItem", NEXT_DAY)
    adele.reply("not-an-id", "AcceptItem")
    adele.call("<m:NoSuchOperation/>")

    log = ews_emulator.requests
    assert log.operations() == ["CreateItem", "FindItem", "CreateItem", "CreateItem", "NoSuchOperation"]
    first = log.of("CreateItem")[0]
    assert (first.mailbox, first.status) == ("AlexW@contoso.com", 200)
    assert meeting_id.encode() in first.response_xml
    assert [c.mailbox for c in log.of("CreateItem", mailbox="adelev@contoso.com")] == ["AdeleV@contoso.com"] * 2
    assert b"ErrorInvalidIdMalformed" in log.of("CreateItem")[-1].response_xml
    assert log.last().status == 500 and log.last().injected is None
    assert log.last("FindItem").operation == "FindItem"
    log.clear()
    assert len(log) == 0


def test_client_helpers_give_working_exchangelib_settings(ews_emulator):
    config = ews_emulator.exchangelib_config("AdeleV@contoso.com")
    assert config.service_endpoint == ews_emulator.endpoint
    account = ews_emulator.exchangelib_account("AdeleV@contoso.com")
    assert account.version.api_version == "Exchange2016"  # probed from the default build
    assert list(account.inbox.all()) == []
    assert ews_emulator.requests.operations()[0] == "ConvertId"  # exchangelib's version probe


# --- picking the server build -----------------------------------------------------------

def server_version(answer) -> str:
    info = answer.first("//s:Header/t:ServerVersionInfo")
    return ".".join(info.get(a) for a in ("MajorVersion", "MinorVersion", "MajorBuildNumber", "MinorBuildNumber"))


@pytest.mark.ews_server_build("15.00.0775.038")
def test_marker_picks_the_build(ews_emulator, ews_server_build):
    assert str(ews_server_build) == "15.00.0775.038"
    invite(ews_emulator)
    adele = ews_emulator.soap("AdeleV@contoso.com")
    answer = adele.get(the_request(adele), "IdOnly", ("item:ResponseObjects",))
    assert server_version(answer) == "15.0.775.38"
    offered = [etree.QName(el).localname for el in answer.xpath("//t:ResponseObjects/*")]
    assert "TentativelyAcceptItem" in offered and "ProposeNewTime" not in offered


@pytest.mark.ews_server_build("15.00.0775.038", "15.00.0800.007")
def test_marker_with_several_builds_runs_once_per_build(ews_emulator, ews_server_build):
    invite(ews_emulator)
    adele = ews_emulator.soap("AdeleV@contoso.com")
    offered = adele.get(the_request(adele), "IdOnly", ("item:ResponseObjects",)).xpath(
        "//t:ResponseObjects/t:ProposeNewTime")
    assert bool(offered) == (ews_server_build.build >= 800)


def run_pytest(tmp_path, source: str, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(source))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", *args,
                           str(tmp_path / "test_user.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


USER_SUITE = """
    import pytest

    def build_of(ews):
        # Exchange2010_SP2: a version every build here accepts (faults carry no header).
        answer = ews.soap("AlexW@contoso.com", version="Exchange2010_SP2").call("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly"
            "</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id='inbox'/>"
            "</m:FolderIds></m:GetFolder>")
        return answer.first("//t:ServerVersionInfo").get("MajorBuildNumber")

    @pytest.mark.ews_server_build("14.03.0123.004", "15.00.0775.038", "15.02.1544.004")
    def test_each_build(ews_emulator, ews_server_build):
        assert build_of(ews_emulator) == str(ews_server_build.build)

    def test_default(ews_emulator):
        print("BUILD", build_of(ews_emulator))
"""


def test_plugin_loads_by_entry_point_in_a_users_project(tmp_path):
    # A fresh pytest run outside this project: nothing but the installed entry point.
    result = run_pytest(tmp_path, USER_SUITE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
    for build in ("14.03.0123.004", "15.00.0775.038", "15.02.1544.004"):
        assert f"test_each_build[{build}]" in result.stdout
    assert "BUILD 1544" in result.stdout

    chosen = run_pytest(tmp_path, USER_SUITE, "--ews-server-build", "15.00.0800.007", "-k", "default", "-s")
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr
    assert "BUILD 800" in chosen.stdout

    bad = run_pytest(tmp_path, USER_SUITE.replace("14.03.0123.004", "2019"))
    assert bad.returncode != 0
    assert "invalid server build '2019'" in bad.stdout + bad.stderr


STORE_SUITE = """
    def test_first(ews_emulator):
        alex = ews_emulator.soap("AlexW@contoso.com")
        answer = alex.create_meeting("Plan", "2031-06-03T12:00:00Z", "2031-06-03T13:00:00Z",
                                     attendees=("AdeleV@contoso.com",))
        assert answer.response_codes == ["NoError"]
        assert [i.subject for i in ews_emulator.soap("AdeleV@contoso.com").find_items("inbox")] == ["Plan"]
        print("STORE", ews_emulator.store)

    def test_second_starts_empty(ews_emulator):
        assert ews_emulator.soap("AdeleV@contoso.com").find_items("inbox") == []
        print("STORE", ews_emulator.store)

    def test_over_https(ews_emulator_tls):
        assert ews_emulator_tls.endpoint.startswith("https://")
        assert ews_emulator_tls.ca_file.exists()
        assert ews_emulator_tls.soap("AlexW@contoso.com").find_items("inbox") == []
"""


@pytest.mark.skipif(not on_postgresql(), reason="needs --store-backend=postgresql (a server)")
def test_fixture_stores_on_postgresql_one_schema_per_test(tmp_path):
    url = os.environ[URL_ENV]
    before = schemas_named(url, "ews_test_")
    result = run_pytest(tmp_path, STORE_SUITE, "--ews-store", url, "-s")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    stores = [line.split("STORE ", 1)[1].split()[0] for line in result.stdout.splitlines() if "STORE " in line]
    assert len(stores) == 2 and stores[0] != stores[1]
    assert all(s.startswith(url) and "search_path" in s for s in stores)
    assert not list(tmp_path.glob("**/*.sqlite3"))  # nothing went to a file
    assert schemas_named(url, "ews_test_") == before  # each test's schema dropped after it


def test_ews_store_must_be_a_database_url(tmp_path):
    result = run_pytest(tmp_path, STORE_SUITE, "--ews-store", str(tmp_path / "x.sqlite3"))
    assert result.returncode != 0
    assert "--ews-store" in result.stdout + result.stderr and "not a postgresql:// URL" in result.stdout + result.stderr


def test_importing_the_harness_does_not_import_pytest():
    code = "import sys, ews_propose.testing; assert 'pytest' not in sys.modules, 'pytest imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- the clock ------------------------------------------------------------------------

def test_a_frozen_clock_is_the_emulators_clock(ews_emulator):
    invite_at = dt.datetime(2031, 3, 4, 5, 6, 7)
    with freeze_time(invite_at) as frozen:
        meeting_id = invite(ews_emulator)
        adele = ews_emulator.soap("AdeleV@contoso.com")
        request_id = the_request(adele)
        frozen.move_to(invite_at + dt.timedelta(hours=2, minutes=30))
        assert adele.reply(request_id, "TentativelyAcceptItem", NEXT_DAY).response_codes == ["NoError"]

    alex = ews_emulator.soap("AlexW@contoso.com")
    request = adele.get(request_id)
    assert request.text("//t:MeetingRequest/t:DateTimeReceived") == "2031-03-04T05:06:07Z"
    (response,) = alex.find_items("inbox")
    assert alex.get(response.id).text("//t:MeetingResponse/t:DateTimeReceived") == "2031-03-04T07:36:07Z"
    meeting = alex.get(meeting_id)
    assert meeting.text("//t:Attendee/t:LastResponseTime") == "2031-03-04T07:36:07Z"


def test_without_freezing_the_emulator_uses_the_real_clock(ews_emulator):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    invite(ews_emulator)
    adele = ews_emulator.soap("AdeleV@contoso.com")
    received = adele.get(the_request(adele)).text("//t:MeetingRequest/t:DateTimeReceived")
    stamp = dt.datetime.fromisoformat(received.replace("Z", "+00:00"))
    assert before <= stamp <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)


def test_client_helper_gives_the_projects_own_client(ews_emulator):
    pytest.importorskip("ews_propose.client")
    invite(ews_emulator)
    adele = ews_emulator.client("AdeleV@contoso.com")
    (request,) = adele.meeting_requests()
    assert request.subject == "Lunch" and request.offers_propose_new_time
    assert ews_emulator.requests.last().mailbox == "AdeleV@contoso.com"


def test_soap_helper_answers_use_ews_prefixes(ews_emulator):
    answer = ews_emulator.soap("AlexW@contoso.com").call(
        "<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>"
        '<m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>')
    assert answer.response_codes == ["NoError"]
    assert answer.root.nsmap.get("s") == NS["s"]
