"""Fault injection: ErrorServerBusy, HTTP 503 and delays, seen by a plain client and by
exchangelib under its two retry policies."""

from __future__ import annotations

import time

import pytest
import requests
from exchangelib import FaultTolerance
from exchangelib.errors import ErrorServerBusy

from ews_propose.conformance.wire import envelope

GET_INBOX = ("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
             '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')


def test_server_busy_is_an_ews_fault_with_back_off(ews_emulator):
    ews_emulator.faults.server_busy(times=2, back_off_ms=750)
    alex = ews_emulator.soap("AlexW@contoso.com")

    for _ in range(2):
        busy = alex.call(GET_INBOX)
        assert busy.status == 500
        assert busy.headers["Content-Type"].startswith("text/xml")
        assert busy.text("//s:Fault/faultcode") == "a:ErrorServerBusy"
        assert busy.fault_code == "ErrorServerBusy"
        assert busy.text("//s:Fault/detail/t:MessageXml/t:Value[@Name='BackOffMilliseconds']") == "750"
        assert busy.xpath("//s:Header") == []  # faults carry no SOAP header, as Exchange sends them
    assert alex.call(GET_INBOX).response_codes == ["NoError"]  # the third call goes through

    log = ews_emulator.requests
    assert [(c.operation, c.status, c.injected) for c in log] == [
        ("GetFolder", 500, "server_busy"), ("GetFolder", 500, "server_busy"), ("GetFolder", 200, None)]
    assert log[0].mailbox == "AlexW@contoso.com" and b"DistinguishedFolderId" in log[0].request_xml
    assert ews_emulator.faults.pending == []


def test_faults_can_target_one_operation(ews_emulator):
    rule = ews_emulator.faults.server_busy(times=1, operation="FindItem")
    alex = ews_emulator.soap("AlexW@contoso.com")
    assert alex.call(GET_INBOX).response_codes == ["NoError"]
    assert alex.find("inbox").fault_code == "ErrorServerBusy"
    assert alex.find("inbox").response_codes == ["NoError"]
    assert (rule.fired, rule.remaining) == (1, 0)


def test_bad_credentials_get_401_and_leave_the_fault_armed(ews_emulator):
    ews_emulator.faults.server_busy()
    r = requests.post(ews_emulator.endpoint, data=b"<x/>", auth=("AlexW@contoso.com", "nope"), timeout=10)
    assert r.status_code == 401
    assert len(ews_emulator.faults.pending) == 1


def test_bearer_token_callers_get_faults_too(ews_emulator):
    pat = ews_emulator.add_mailbox("pat@fabrikam.test", "Pat", token="pat-token-123")
    assert ews_emulator.credentials(pat.smtp).token == "pat-token-123"
    ews_emulator.faults.server_busy(times=1)
    headers = {"Authorization": "Bearer pat-token-123", "Content-Type": "text/xml; charset=utf-8"}
    busy = requests.post(ews_emulator.endpoint, data=envelope(GET_INBOX), headers=headers, timeout=10)
    assert busy.status_code == 500 and b"ErrorServerBusy" in busy.content
    ok = requests.post(ews_emulator.endpoint, data=envelope(GET_INBOX), headers=headers, timeout=10)
    assert ok.status_code == 200 and b'ResponseClass="Success"' in ok.content
    assert [(c.mailbox, c.injected) for c in ews_emulator.requests] == [
        ("pat@fabrikam.test", "server_busy"), ("pat@fabrikam.test", None)]


def test_plain_client_without_retries_sees_the_fault(ews_emulator):
    # exchangelib's default policy is FailFast: the ErrorServerBusy reaches the caller.
    adele = ews_emulator.exchangelib_account("AdeleV@contoso.com")
    assert adele.version.build  # the ConvertId version probe, before any fault is armed
    ews_emulator.faults.server_busy(times=1, operation="FindItem", back_off_ms=1200)
    with pytest.raises(ErrorServerBusy) as caught:
        list(adele.inbox.all())
    assert caught.value.back_off == 1.2
    assert [c.status for c in ews_emulator.requests.of("FindItem")] == [500]


def test_exchangelib_fault_tolerance_retries_server_busy(ews_emulator):
    adele = ews_emulator.exchangelib_account("AdeleV@contoso.com", retry_policy=FaultTolerance(max_wait=30))
    assert adele.version.build  # the ConvertId version probe, before any fault is armed
    ews_emulator.faults.server_busy(times=2, operation="FindItem", back_off_ms=150)
    started = time.monotonic()
    assert list(adele.inbox.all()) == []
    elapsed = time.monotonic() - started
    calls = ews_emulator.requests.of("FindItem")
    assert [(c.status, c.injected) for c in calls] == [(500, "server_busy"), (500, "server_busy"), (200, None)]
    assert elapsed >= 0.3  # it honoured BackOffMilliseconds twice


def test_exchangelib_gives_up_when_the_back_off_exceeds_max_wait(ews_emulator):
    from exchangelib.errors import RateLimitError

    adele = ews_emulator.exchangelib_account("AdeleV@contoso.com", retry_policy=FaultTolerance(max_wait=1))
    assert adele.version.build  # the ConvertId version probe, before any fault is armed
    ews_emulator.faults.server_busy(times=1, operation="FindItem", back_off_ms=5000)
    with pytest.raises(RateLimitError):
        list(adele.inbox.all())


def test_http_503_with_retry_after(ews_emulator):
    ews_emulator.faults.http_503(times=1, operation="FindItem", retry_after=1)
    # Bytes that are not SOAP have no operation: a FindItem-only fault does not fire for them.
    plain = requests.post(ews_emulator.endpoint, data=b"not xml", timeout=10,
                          auth=ews_emulator.credentials("AlexW@contoso.com").basic)
    assert plain.status_code == 500 and b"ErrorSchemaValidation" in plain.content

    alex = ews_emulator.soap("AlexW@contoso.com")
    unavailable = alex.find("inbox")
    assert unavailable.status == 503 and unavailable.headers["Retry-After"] == "1"
    assert alex.find("inbox").status == 200

    adele = ews_emulator.exchangelib_account("AdeleV@contoso.com", retry_policy=FaultTolerance(max_wait=30))
    assert adele.version.build  # the ConvertId version probe, before any fault is armed
    ews_emulator.faults.http_503(times=1, operation="FindItem", retry_after=1)
    assert list(adele.inbox.all()) == []
    assert [c.status for c in ews_emulator.requests.of("FindItem", mailbox="AdeleV@contoso.com")] == [503, 200]


def test_exchangelib_fail_fast_sees_503_as_busy(ews_emulator):
    adele = ews_emulator.exchangelib_account("AdeleV@contoso.com")
    assert adele.version.build  # the ConvertId version probe, before any fault is armed
    ews_emulator.faults.http_503(times=1)
    with pytest.raises(ErrorServerBusy):
        list(adele.inbox.all())


def test_delay_answers_late_and_trips_client_timeouts(ews_emulator):
    alex = ews_emulator.credentials("AlexW@contoso.com")
    body = ews_emulator.soap("AlexW@contoso.com").find("inbox")  # a normal call for reference
    assert body.status == 200

    ews_emulator.faults.delay(0.6, times=1, operation="GetFolder")
    line = ews_emulator.soap(alex.smtp)
    started = time.monotonic()
    assert line.call(GET_INBOX).response_codes == ["NoError"]
    assert time.monotonic() - started >= 0.6

    ews_emulator.faults.delay(1.0, times=1, operation="GetFolder")
    line.timeout = 0.3
    with pytest.raises(requests.exceptions.ReadTimeout):
        line.call(GET_INBOX)


def test_times_must_be_positive(ews_emulator):
    with pytest.raises(ValueError):
        ews_emulator.faults.server_busy(times=0)
