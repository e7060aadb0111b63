"""The pytest plugin's Graph side: the service root and tokens, the call log, and 429
throttling that msgraph-sdk's retry handler honours."""

from __future__ import annotations

import asyncio
import time

import requests

from .test_graph_sdk import sdk_client


def test_graph_url_and_tokens(ews_emulator):
    assert ews_emulator.graph_url == f"http://127.0.0.1:{ews_emulator.port}/v1.0"
    pat = ews_emulator.add_mailbox("pat@fabrikam.test", "Pat Example")
    assert pat.token and len(pat.token) >= 16
    for smtp in ("AlexW@contoso.com", pat.smtp):
        r = requests.get(ews_emulator.graph_url + "/me", timeout=10,
                         headers={"Authorization": f"Bearer {ews_emulator.graph_token(smtp)}"})
        assert r.json()["mail"] == smtp
    calls = ews_emulator.graph_faults.calls
    assert [(c.method, c.path, c.mailbox, c.status) for c in calls] == [
        ("GET", "/v1.0/me", "AlexW@contoso.com", 200), ("GET", "/v1.0/me", pat.smtp, 200)]


def test_throttling_is_429_with_retry_after(ews_emulator):
    token = ews_emulator.graph_token("AdeleV@contoso.com")
    ews_emulator.graph_faults.throttle(times=1, retry_after=7, path="/messages")
    url = ews_emulator.graph_url
    assert requests.get(url + "/me", headers={"Authorization": "Bearer wrong-token-0123456789"},
                        timeout=10).status_code == 401  # uses up nothing
    assert requests.get(url + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
    r = requests.get(url + "/me/messages", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert r.json()["error"]["code"] == "TooManyRequests"
    assert requests.get(url + "/me/messages", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 200
    assert [c.injected for c in ews_emulator.graph_faults.calls] == [None, None, "throttled", None]


def test_msgraph_sdk_retries_after_throttling(ews_emulator):
    ews_emulator.graph_faults.throttle(times=2, retry_after=1)
    client = sdk_client(ews_emulator.graph_url, ews_emulator.graph_token("AlexW@contoso.com"))
    began = time.monotonic()
    me = asyncio.run(client.me.get())
    assert me.mail == "AlexW@contoso.com"
    assert time.monotonic() - began >= 2  # it waited Retry-After each time
    assert [c.status for c in ews_emulator.graph_faults.calls] == [429, 429, 200]
