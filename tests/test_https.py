"""Native HTTPS (``serve --tls``, ``--cert/--key``, the ``ews_emulator_tls`` fixture):
exchangelib with ``server="127.0.0.1:PORT"`` and the emulator's CA file, unchanged."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import requests
import trustme
from exchangelib import (
    BASIC,
    DELEGATE,
    Account,
    Attendee,
    CalendarItem,
    Configuration,
    EWSDateTime,
    EWSTimeZone,
    Mailbox,
)
from exchangelib import Credentials as ExchangelibCredentials
from exchangelib.items import MeetingRequest, MeetingResponse
from exchangelib.protocol import BaseProtocol

from ews_propose.testing import EwsEmulator

from .server_process import ServerProcess

UTC = EWSTimeZone("UTC")


def _peer_certificate(host: str, port: int, ca: str) -> dict:
    context = ssl.create_default_context(cafile=ca)
    with socket.create_connection((host, port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        return tls.getpeercert()


class _TrustFile(requests.adapters.HTTPAdapter):
    """What an exchangelib user writes (exchangelib's documented HTTP_ADAPTER_CLS hook):
    verify every HTTPS connection against one CA file."""

    ca_file = ""

    def cert_verify(self, conn, url, verify, cert):
        super().cert_verify(conn=conn, url=url, verify=self.ca_file, cert=cert)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        return super().get_connection_with_tls_context(request, self.ca_file, proxies=proxies, cert=cert)


@pytest.fixture
def exchangelib_trusts():
    original = BaseProtocol.HTTP_ADAPTER_CLS

    def trust(ca_file: str) -> None:
        BaseProtocol.HTTP_ADAPTER_CLS = type("TrustEmulator", (_TrustFile,), {"ca_file": ca_file})

    yield trust
    BaseProtocol.HTTP_ADAPTER_CLS = original


def test_exchangelib_with_server_and_the_ca_file_runs_a_proposal(tmp_path, exchangelib_trusts):
    with EwsEmulator(tmp_path / "store.sqlite3", tls=True) as ews:
        assert ews.endpoint.startswith("https://127.0.0.1:")
        exchangelib_trusts(str(ews.ca_file))

        def account(smtp: str, password: str) -> Account:
            config = Configuration(server=f"127.0.0.1:{ews.port}", auth_type=BASIC,
                                   credentials=ExchangelibCredentials(smtp, password))
            return Account(smtp, config=config, autodiscover=False, access_type=DELEGATE)

        alex = account("AlexW@contoso.com", "alex-demo-pw")
        adele = account("AdeleV@contoso.com", "adele-demo-pw")
        assert alex.protocol.service_endpoint == f"https://127.0.0.1:{ews.port}/EWS/Exchange.asmx"
        start = EWSDateTime(2031, 6, 3, 12, tzinfo=UTC)
        CalendarItem(account=alex, folder=alex.calendar, subject="Lunch over TLS", start=start,
                     end=start + dt.timedelta(hours=1), allow_new_time_proposal=True,
                     required_attendees=[Attendee(mailbox=Mailbox(email_address="AdeleV@contoso.com"))],
                     ).save(send_meeting_invitations="SendToAllAndSaveCopy")
        request = next(i for i in adele.inbox.all() if isinstance(i, MeetingRequest))
        request.tentatively_accept(proposed_start=start + dt.timedelta(days=1),
                                   proposed_end=start + dt.timedelta(days=1, hours=1), body="Tomorrow?")
        response = next(i for i in alex.inbox.all() if isinstance(i, MeetingResponse))
        assert response.subject == "New Time Proposed: Lunch over TLS"
        assert response.proposed_start == start + dt.timedelta(days=1)
        assert {r.status for r in ews.requests} == {200}
        assert "CreateItem" in ews.requests.operations()


def test_without_the_ca_the_certificate_is_refused(ews_emulator_tls):
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(ews_emulator_tls.endpoint, data=b"", timeout=10)
    answer = requests.post(ews_emulator_tls.endpoint, data=b"", timeout=10, verify=str(ews_emulator_tls.ca_file))
    assert answer.status_code == 401


def test_the_certificate_names_loopback_and_chains_to_the_ca(ews_emulator_tls):
    cert = _peer_certificate("127.0.0.1", ews_emulator_tls.port, str(ews_emulator_tls.ca_file))
    names = {value for _, value in cert["subjectAltName"]}
    assert {"localhost", "127.0.0.1"} <= names
    # "localhost" verifies too: the same certificate, by name
    _peer_certificate("localhost", ews_emulator_tls.port, str(ews_emulator_tls.ca_file))


def test_the_fixture_s_exchangelib_account_uses_server_and_https(ews_emulator_tls):
    adele = ews_emulator_tls.exchangelib_account("AdeleV@contoso.com")
    assert adele.protocol.service_endpoint == ews_emulator_tls.endpoint
    assert adele.inbox.total_count == 0
    assert ews_emulator_tls.requests.of("GetFolder", mailbox="AdeleV@contoso.com")
    # the project's own client and the raw SOAP line trust the CA as well
    assert ews_emulator_tls.client("AlexW@contoso.com").server_build == ews_emulator_tls.build
    answer = ews_emulator_tls.soap("AlexW@contoso.com").call(
        '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
        '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
    assert answer.response_codes == ["NoError"]


def test_the_wsdl_names_the_https_address(ews_emulator_tls):
    wsdl = requests.get(ews_emulator_tls.wsdl_url, timeout=10, verify=str(ews_emulator_tls.ca_file))
    assert f'location="{ews_emulator_tls.endpoint}"'.encode() in wsdl.content


def test_serve_tls_prints_the_ca_and_reuses_it(tmp_path):
    store = tmp_path / "data" / "store.sqlite3"
    store.parent.mkdir()
    ca_file = store.parent / "tls" / "ca.pem"
    with ServerProcess("--tls", "--store", str(store)) as server:
        assert server.endpoint.startswith("https://127.0.0.1:")
        assert f"TLS CA: {ca_file}" in server.wait_output("TLS CA:")
        first_ca = ca_file.read_bytes()
        assert oct((store.parent / "tls" / "ca-key.pem").stat().st_mode & 0o777) == "0o600"
        answer = requests.post(server.endpoint, data=b"", timeout=10, verify=str(ca_file))
        assert answer.status_code == 401
    with ServerProcess("--tls", "--store", str(store)) as server:
        assert ca_file.read_bytes() == first_ca
        answer = requests.post(server.endpoint, data=b"", timeout=10, verify=str(ca_file),
                               auth=("AlexW@contoso.com", "wrong"))
        assert answer.status_code == 401
        wsdl = requests.get(server.endpoint + "?wsdl", timeout=10, verify=str(ca_file))
        assert wsdl.status_code == 200


def test_serve_with_one_s_own_certificate(tmp_path):
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    cert, key, ca_file = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    with ServerProcess("--cert", str(cert), "--key", str(key), "--store", ":memory:") as server:
        assert f"TLS:    {cert}" in server.wait_output("TLS:")
        port = urlsplit(server.endpoint).port
        assert _peer_certificate("127.0.0.1", port, str(ca_file))
        assert not (tmp_path / "tls").exists()


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ews_propose", "serve", "--port", "0", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args, message", [
    (["--cert", "x.pem"], "--cert and --key go together"),
    (["--tls", "--workers", "2", "--store", "s.sqlite3"], "leave out --workers"),
])
def test_tls_usage_errors(tmp_path, args, message):
    run = _serve(*args)
    assert run.returncode == 2
    assert message in run.stderr


def test_an_unusable_certificate_is_named(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    run = _serve("--cert", str(bad), "--key", str(bad), "--store", ":memory:")
    assert run.returncode == 2
    assert str(bad) in run.stderr and "Traceback" not in run.stderr
    run = _serve("--cert", str(tmp_path / "missing.pem"), "--key", str(bad), "--store", ":memory:")
    assert run.returncode == 2
    assert "missing.pem: no such file" in run.stderr
