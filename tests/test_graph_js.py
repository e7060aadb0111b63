"""Seed 000's walkthrough played by Microsoft's JavaScript Graph SDK
(@microsoft/microsoft-graph-client 3.0.7, unchanged) under node: tests/js/seed000.mjs.
``make test`` installs it (``npm ci`` in tests/js); without node or the package the test
is skipped, saying why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .graph import ADELE, ALEX, GraphLine

JS = Path(__file__).parent / "js"


def test_seed_000_with_the_javascript_sdk(ews_emulator):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (JS / "node_modules" / "@microsoft" / "microsoft-graph-client").is_dir():
        pytest.skip("the JavaScript SDK is not installed: run `make test` (npm ci in tests/js)")
    # The first GET of /me/messages (the attendee's, step 2) is throttled once: the SDK's retry
    # handler must wait Retry-After and ask again.
    ews_emulator.graph_faults.throttle(times=1, retry_after=1, path="/me/messages")
    base = ews_emulator.graph_url.removesuffix("/v1.0")
    env = dict(os.environ, GRAPH_BASE=base, ORGANIZER_TOKEN=ALEX[1], ATTENDEE_TOKEN=ADELE[1])
    run = subprocess.run([node, str(JS / "seed000.mjs")], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-4000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["reply"] == "New Time Proposed: Let's go for lunch"
    calls = [(c.method, c.path, c.status) for c in ews_emulator.graph_faults.calls]
    throttled = calls.index(("GET", "/v1.0/me/messages", 429))
    assert calls[throttled + 1] == ("GET", "/v1.0/me/messages", 200)  # retried, and answered
    # What the script did is in the mailboxes, read back over the wire.
    alex = GraphLine(ews_emulator.graph_url, ALEX[1])
    event = alex.get(f"/me/events/{seen['event']}").json()
    assert event["start"]["dateTime"] == "2019-08-16T19:00:00.0000000"
    assert event["attendees"][0]["status"]["response"] == "notResponded"
