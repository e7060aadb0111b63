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

from ews_propose.server import EmulatorServer, ServerConfig

from .graph import ADELE, ALEX, GraphLine

JS = Path(__file__).parent / "js"


@pytest.fixture
def server(tmp_path):
    srv = EmulatorServer(ServerConfig(port=0, store=str(tmp_path / "store.sqlite3"))).start()
    yield srv
    srv.stop()


def test_seed_000_with_the_javascript_sdk(server):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (JS / "node_modules" / "@microsoft" / "microsoft-graph-client").is_dir():
        pytest.skip("the JavaScript SDK is not installed: run `make test` (npm ci in tests/js)")
    env = dict(os.environ, GRAPH_BASE=server.base_url, ORGANIZER_TOKEN=ALEX[1], ATTENDEE_TOKEN=ADELE[1])
    run = subprocess.run([node, str(JS / "seed000.mjs")], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-4000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["reply"] == "New Time Proposed: Let's go for lunch"
    # What the script did is in the mailboxes, read back over the wire.
    alex = GraphLine(server.graph_url, ALEX[1])
    event = alex.get(f"/me/events/{seen['event']}").json()
    assert event["start"]["dateTime"] == "2019-08-16T19:00:00.0000000"
    assert event["attendees"][0]["status"]["response"] == "notResponded"
