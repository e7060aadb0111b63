"""Autodiscover: POX (/autodiscover/autodiscover.xml) and SOAP
(/autodiscover/autodiscover.svc, GetUserSettings / GetDomainSettings) answer with the
emulator's own EWS URL, the mailbox's display name and the build, behind the same
auth as EWS; exchangelib's autodiscover=True finds the emulator through them."""

from __future__ import annotations

import pytest
import requests
from exchangelib import BASIC, DELEGATE, Account, Configuration
from exchangelib import Credentials as ExchangelibCredentials
from exchangelib.autodiscover import AutodiscoverProtocol, autodiscover_cache
from exchangelib.errors import ErrorNonExistentMailbox
from exchangelib.protocol import BaseProtocol
from lxml import etree

from ews_propose.testing import EwsEmulator

from .server_process import ServerProcess
from .test_https import _TrustFile

AD = "http://schemas.microsoft.com/exchange/2010/Autodiscover"
S = "http://schemas.xmlsoap.org/soap/envelope/"
POX_REQ = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
POX_RESP = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
POX_OUTLOOK = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
NS = {"a": AD, "s": S, "r": POX_RESP, "o": POX_OUTLOOK, "i": "http://www.w3.org/2001/XMLSchema-instance"}
ADELE = ("AdeleV@contoso.com", "adele-demo-pw")


def user_settings_request(users, settings) -> bytes:
    mailboxes = "".join(f"<a:User><a:Mailbox>{u}</a:Mailbox></a:User>" for u in users)
    names = "".join(f"<a:Setting>{s}</a:Setting>" for s in settings)
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:a="{AD}" '
            f'xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:soap="{S}"><soap:Header>'
            f"<a:RequestedServerVersion>Exchange2013</a:RequestedServerVersion>"
            f"<wsa:Action>http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings"
            f"</wsa:Action></soap:Header><soap:Body><a:GetUserSettingsRequestMessage><a:Request>"
            f"<a:Users>{mailboxes}</a:Users><a:RequestedSettings>{names}</a:RequestedSettings>"
            f"</a:Request></a:GetUserSettingsRequestMessage></soap:Body></soap:Envelope>").encode()


def domain_settings_request(domains, settings) -> bytes:
    items = "".join(f"<a:Domain>{d}</a:Domain>" for d in domains)
    names = "".join(f"<a:Setting>{s}</a:Setting>" for s in settings)
    return (f'<soap:Envelope xmlns:a="{AD}" xmlns:soap="{S}"><soap:Body><a:GetDomainSettingsRequestMessage>'
            f"<a:Request><a:Domains>{items}</a:Domains><a:RequestedSettings>{names}</a:RequestedSettings>"
            f"</a:Request></a:GetDomainSettingsRequestMessage></soap:Body></soap:Envelope>").encode()


def pox_request(address: str, schema: str = POX_OUTLOOK, element: str = "EMailAddress") -> bytes:
    return (f'<Autodiscover xmlns="{POX_REQ}"><Request><{element}>{address}</{element}>'
            f"<AcceptableResponseSchema>{schema}</AcceptableResponseSchema></Request></Autodiscover>").encode()


def post(url: str, body: bytes, auth=ADELE, **kwargs) -> tuple[requests.Response, etree._Element | None]:
    answer = requests.post(url, data=body, auth=auth, timeout=30,
                           headers={"Content-Type": "text/xml; charset=utf-8"}, **kwargs)
    root = etree.fromstring(answer.content) if answer.content.startswith(b"<") else None
    return answer, root


def settings_of(response: etree._Element) -> dict[str, str]:
    return {s.findtext("a:Name", namespaces=NS): s.findtext("a:Value", namespaces=NS)
            for s in response.iterfind("a:UserSettings/a:UserSetting", NS)}


# --- SOAP Autodiscover ----------------------------------------------------------------

def test_get_user_settings_names_the_emulator_s_ews_url_name_and_build(ews_emulator):
    answer, root = post(ews_emulator.autodiscover_url, user_settings_request(
        ["AlexW@contoso.com"], ["UserDisplayName", "ExternalEwsUrl", "InternalEwsUrl", "CasVersion",
                                "EwsSupportedSchemas", "AutoDiscoverSMTPAddress"]))
    assert answer.status_code == 200
    assert root.findtext("s:Header/a:ServerVersionInfo/a:MajorBuildNumber", namespaces=NS) == "1544"
    response = root.find("s:Body/a:GetUserSettingsResponseMessage/a:Response", NS)
    assert response.findtext("a:ErrorCode", namespaces=NS) == "NoError"
    (user,) = response.iterfind("a:UserResponses/a:UserResponse", NS)
    assert user.findtext("a:ErrorCode", namespaces=NS) == "NoError"
    assert user.find("a:RedirectTarget", NS).get(f"{{{NS['i']}}}nil") == "true"
    assert [etree.QName(c).localname for c in user] == [
        "ErrorCode", "ErrorMessage", "RedirectTarget", "UserSettingErrors", "UserSettings"]
    settings = settings_of(user)
    assert settings["UserDisplayName"] == "Alex Wilber"
    assert settings["ExternalEwsUrl"] == settings["InternalEwsUrl"] == ews_emulator.endpoint
    assert settings["CasVersion"] == "15.02.1544.004"
    assert settings["AutoDiscoverSMTPAddress"] == "AlexW@contoso.com"
    assert settings["EwsSupportedSchemas"].split(", ")[-1] == "Exchange2016"
    types = {s.get(f"{{{NS['i']}}}type") for s in user.iterfind("a:UserSettings/a:UserSetting", NS)}
    assert types == {"StringSetting"}


@pytest.mark.ews_server_build("15.00.0800.007")
def test_the_supported_schemas_follow_the_build(ews_emulator):
    _, root = post(ews_emulator.autodiscover_url, user_settings_request(
        ["AdeleV@contoso.com"], ["EwsSupportedSchemas", "CasVersion"]))
    settings = settings_of(root.find(".//a:UserResponse", NS))
    assert settings["CasVersion"] == "15.00.0800.007"
    assert settings["EwsSupportedSchemas"] == ("Exchange2007, Exchange2007_SP1, Exchange2010, "
                                               "Exchange2010_SP1, Exchange2010_SP2, Exchange2013, "
                                               "Exchange2013_SP1")


def test_unknown_users_and_settings_get_their_own_errors(ews_emulator):
    _, root = post(ews_emulator.autodiscover_url, user_settings_request(
        ["AdeleV@contoso.com", "nobody@contoso.com"], ["UserDisplayName", "InternalOABUrl", "NoSuchSetting"]))
    adele, nobody = root.iterfind(".//a:UserResponse", NS)
    assert settings_of(adele) == {"UserDisplayName": "Adele Vance"}
    errors = {e.findtext("a:SettingName", namespaces=NS): e.findtext("a:ErrorCode", namespaces=NS)
              for e in adele.iterfind("a:UserSettingErrors/a:UserSettingError", NS)}
    assert errors == {"InternalOABUrl": "SettingIsNotAvailable", "NoSuchSetting": "InvalidSetting"}
    assert nobody.findtext("a:ErrorCode", namespaces=NS) == "InvalidUser"
    assert settings_of(nobody) == {}


@pytest.mark.parametrize("users, settings", [([], ["UserDisplayName"]), (["AdeleV@contoso.com"], [])])
def test_a_request_naming_nothing_is_invalid_request(ews_emulator, users, settings):
    answer, root = post(ews_emulator.autodiscover_url, user_settings_request(users, settings))
    assert answer.status_code == 200
    assert root.findtext(".//a:Response/a:ErrorCode", namespaces=NS) == "InvalidRequest"


def test_get_domain_settings(ews_emulator):
    _, root = post(ews_emulator.autodiscover_url, domain_settings_request(
        ["contoso.com", "fabrikam.com"], ["ExternalEwsUrl", "ExternalEwsVersion", "Bogus"]))
    contoso, fabrikam = root.iterfind(".//a:DomainResponses/a:DomainResponse", NS)
    values = {s.findtext("a:Name", namespaces=NS): s.findtext("a:Value", namespaces=NS)
              for s in contoso.iterfind("a:DomainSettings/a:DomainSetting", NS)}
    assert values == {"ExternalEwsUrl": ews_emulator.endpoint, "ExternalEwsVersion": "15.02.1544.004"}
    assert contoso.findtext("a:DomainSettingErrors/a:DomainSettingError/a:SettingName", namespaces=NS) == "Bogus"
    assert fabrikam.findtext("a:ErrorCode", namespaces=NS) == "InvalidDomain"


def test_autodiscover_takes_the_same_credentials_as_ews(ews_emulator):
    body = user_settings_request(["AdeleV@contoso.com"], ["UserDisplayName"])
    for url in (ews_emulator.autodiscover_url, ews_emulator.pox_autodiscover_url):
        for auth in (None, ("AdeleV@contoso.com", "wrong"), ("nobody@contoso.com", "adele-demo-pw")):
            answer, _ = post(url, body, auth=auth)
            assert answer.status_code == 401
            assert answer.headers["WWW-Authenticate"].startswith('Basic realm="ews-propose"')
            assert b"Adele" not in answer.content
    token = ews_emulator.add_mailbox("Bot@contoso.com", "Bot", token="t" * 20).token
    answer = requests.post(ews_emulator.autodiscover_url, data=body, timeout=30,
                           headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and b"Adele Vance" in answer.content


@pytest.mark.parametrize("body, words", [
    (b"<not xml", "not well-formed"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>', "DTD"),
    (f'<soap:Envelope xmlns:soap="{S}"><soap:Body><GetFederationInformationRequestMessage xmlns="{AD}"/>'
     f"</soap:Body></soap:Envelope>".encode(), "GetFederationInformationRequestMessage"),
])
def test_bad_soap_requests_get_a_soap_fault(ews_emulator, body, words):
    answer, root = post(ews_emulator.autodiscover_url, body)
    assert answer.status_code == 500
    assert root.findtext("s:Body/s:Fault/faultcode", namespaces=NS) == "s:Client"
    assert words in root.findtext("s:Body/s:Fault/faultstring", namespaces=NS)
    # and the server keeps answering
    assert post(ews_emulator.autodiscover_url, user_settings_request(["AdeleV@contoso.com"], ["UserDN"]))[0].ok


def test_get_is_not_allowed(ews_emulator):
    answer = requests.get(ews_emulator.autodiscover_url, auth=ADELE, timeout=30)
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"


# --- POX Autodiscover -----------------------------------------------------------------

def _decode_server_version(text: str) -> tuple[int, int, int]:
    """Microsoft's layout: 4 ignored bits, 6 major, 6 minor, 1 flag, 15 build."""
    bits = f"{int(text, 16):032b}"
    return int(bits[4:10], 2), int(bits[10:16], 2), int(bits[17:32], 2)


def test_pox_answers_with_the_ews_url_display_name_and_version(ews_emulator):
    answer, root = post(ews_emulator.pox_autodiscover_url, pox_request("MeganB@contoso.com"))
    assert answer.status_code == 200
    response = root.find("o:Response", NS)
    assert response.findtext("o:User/o:DisplayName", namespaces=NS) == "Megan Bowen"
    assert response.findtext("o:User/o:AutoDiscoverSMTPAddress", namespaces=NS) == "MeganB@contoso.com"
    assert response.findtext("o:Account/o:Action", namespaces=NS) == "settings"
    protocols = {p.findtext("o:Type", namespaces=NS): p for p in response.iterfind("o:Account/o:Protocol", NS)}
    assert set(protocols) == {"EXCH", "EXPR"}
    for protocol in protocols.values():
        assert protocol.findtext("o:EwsUrl", namespaces=NS) == ews_emulator.endpoint
        assert protocol.findtext("o:ASUrl", namespaces=NS) == ews_emulator.endpoint
        assert _decode_server_version(protocol.findtext("o:ServerVersion", namespaces=NS)) == (15, 2, 1544)
    legacy_dn = response.findtext("o:User/o:LegacyDN", namespaces=NS)
    # the same mailbox by its LegacyDN
    _, again = post(ews_emulator.pox_autodiscover_url, pox_request(legacy_dn, element="LegacyDN"))
    assert again.findtext("o:Response/o:User/o:DisplayName", namespaces=NS) == "Megan Bowen"


@pytest.mark.parametrize("body, code", [
    (pox_request("nobody@contoso.com"), "500"),
    (pox_request("AdeleV@contoso.com", schema="http://schemas.microsoft.com/exchange/autodiscover/"
                 "mobilesync/responseschema/2006"), "601"),
    (b"<Autodiscover/>", "600"),
    (b"garbage", "600"),
])
def test_pox_errors(ews_emulator, body, code):
    answer, root = post(ews_emulator.pox_autodiscover_url, body)
    assert answer.status_code == 200
    error = root.find("r:Response/r:Error", NS)
    assert error.findtext("r:ErrorCode", namespaces=NS) == code
    assert error.get("Time") and error.get("Id")


# --- exchangelib ----------------------------------------------------------------------

def test_exchangelib_autodiscover_true_over_https(tmp_path):
    """What a user writes: trust the CA through exchangelib's HTTP adapter hook, name
    the Autodiscover server in exchangelib's own cache, then autodiscover=True."""
    with EwsEmulator(tmp_path / "store.sqlite3", tls=True) as ews:
        original = BaseProtocol.HTTP_ADAPTER_CLS
        BaseProtocol.HTTP_ADAPTER_CLS = type("Trust", (_TrustFile,), {"ca_file": str(ews.ca_file)})
        credentials = ExchangelibCredentials(*ADELE)
        key = ("contoso.com", credentials)
        try:
            with autodiscover_cache:
                autodiscover_cache[key] = AutodiscoverProtocol(config=Configuration(
                    service_endpoint=f"https://127.0.0.1:{ews.port}/autodiscover/autodiscover.svc",
                    credentials=credentials, auth_type=BASIC))
            adele = Account("AdeleV@contoso.com", credentials=credentials, autodiscover=True,
                            access_type=DELEGATE)
            assert adele.protocol.service_endpoint == f"https://127.0.0.1:{ews.port}/EWS/Exchange.asmx"
            assert adele.ad_response.user_settings["user_display_name"] == "Adele Vance"
            assert adele.primary_smtp_address == "AdeleV@contoso.com"
            assert adele.version.api_version == "Exchange2016"
            assert adele.inbox.total_count == 0  # a real EWS call on the discovered endpoint
            assert ews.requests.of("GetFolder", mailbox="AdeleV@contoso.com")
        finally:
            with autodiscover_cache:
                if key in autodiscover_cache:
                    del autodiscover_cache[key]
            BaseProtocol.HTTP_ADAPTER_CLS = original


@pytest.mark.ews_server_build("15.00.0800.007")
def test_the_fixture_s_autodiscover_account(ews_emulator):
    alex = ews_emulator.exchangelib_autodiscover_account("AlexW@contoso.com")
    assert alex.protocol.service_endpoint == ews_emulator.endpoint
    assert alex.version.api_version == "Exchange2013_SP1"  # the build accepts it (README, versions)
    assert alex.calendar.total_count == 0


def test_exchangelib_autodiscover_of_an_unknown_mailbox_fails_clearly(ews_emulator):
    ews_emulator.add_mailbox("Ghost@contoso.com", "Ghost", password="ghost-pw-123")
    credentials = ExchangelibCredentials("Ghost@contoso.com", "ghost-pw-123")
    key = ("contoso.com", credentials)
    with autodiscover_cache:
        autodiscover_cache[key] = AutodiscoverProtocol(config=Configuration(
            service_endpoint=ews_emulator.autodiscover_url, credentials=credentials, auth_type=BASIC))
    try:
        with pytest.raises(ErrorNonExistentMailbox):
            Account("Nobody@contoso.com", credentials=credentials, autodiscover=True, access_type=DELEGATE)
    finally:
        with autodiscover_cache:
            if key in autodiscover_cache:
                del autodiscover_cache[key]


def test_serve_prints_the_autodiscover_urls():
    with ServerProcess("--store", ":memory:") as server:
        base = server.endpoint.rsplit("/EWS/", 1)[0]
        assert f"Autodiscover: {base}/autodiscover/autodiscover.svc (SOAP)" in server.wait_output("(POX)")


def test_a_defect_is_still_answered_in_each_service_s_own_form(ews_emulator, monkeypatch):
    from ews_propose.autodiscover import settings

    def broken(self):
        raise RuntimeError("a defect")

    monkeypatch.setattr(settings.MailboxSettings, "user_settings", broken)
    monkeypatch.setattr(settings.MailboxSettings, "legacy_dn", property(broken))
    answer, root = post(ews_emulator.autodiscover_url, user_settings_request(["AdeleV@contoso.com"], ["UserDN"]))
    assert answer.status_code == 500
    assert root.findtext("s:Body/s:Fault/faultcode", namespaces=NS) == "s:Server"
    assert b"a defect" not in answer.content and b"Traceback" not in answer.content
    answer, root = post(ews_emulator.pox_autodiscover_url, pox_request("AdeleV@contoso.com"))
    assert answer.status_code == 200
    assert root.findtext("r:Response/r:Error/r:ErrorCode", namespaces=NS) == "603"
