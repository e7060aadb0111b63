"""bench/organizer.py stays runnable, and the client needs fewer round trips than
exchangelib for the same organizer work (a small N; the full figures are in
docs/performance.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ews_propose.client import EwsClient, EwsTransportError
from ews_propose.directory import USER, Directory, Mailbox
from ews_propose.server import EmulatorServer, ServerConfig
from tests.stores import store_for

BENCH = Path(__file__).resolve().parent.parent / "bench" / "organizer.py"
ROW = re.compile(r"^(ews-propose client|exchangelib 5\.6)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)", re.M)


def test_organizer_bench_runs_and_the_client_takes_fewer_round_trips():
    done = subprocess.run([sys.executable, str(BENCH), "--proposals", "20"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {name: tuple(map(float, rest)) for name, *rest in ROW.findall(done.stdout)}
    ours, theirs = rows["ews-propose client"], rows["exchangelib 5.6"]
    assert ours[:2] == theirs[:2] == (20, 18)  # same proposals seen, the same 18 accepted
    assert ours[2] < theirs[2] / 4
    assert ours[2] == 5  # FindItem, GetItem x2, GetUserAvailability, UpdateItem


def test_bearer_token_signs_in(tmp_path):
    directory = Directory([Mailbox("pat@example.org", "Pat", None, USER, token="tok-123")])
    with EmulatorServer(ServerConfig(port=0, store=store_for(tmp_path, "s.sqlite3")), directory) as server:
        pat = EwsClient(server.endpoint, token="tok-123")
        assert pat.meeting_requests() == []
        assert str(pat.server_build) == "15.02.1544.004"
        with pytest.raises(EwsTransportError, match="HTTP 401"):
            EwsClient(server.endpoint, token="tok-999").meeting_requests()
