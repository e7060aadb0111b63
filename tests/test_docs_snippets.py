"""Every code block of README.md and docs/first-ten-minutes.md, run as a reader would
run it against a live `ews-propose serve` (its port swapped for 8765), or checked
against what it describes (a synopsis against --help, the layout against the tree).
A block without a `<!-- snippet: NAME -->` marker, or with a name no test handles,
fails the first test: nothing in the docs goes unchecked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ews_propose.client import EwsClient
from ews_propose.directory import Directory

from .ews import PASSWORDS
from .server_process import ServerProcess
from .snippets import ROOT, all_snippets, snippet

BIN = Path(sys.executable).parent
RUN = {"graph-curl", "exchangelib-quick", "client-library", "exchangelib-walk", "first-look", "first-look-curl",
       "cli-walk", "client-sample", "raw-sample", "conformance-local", "faults"}
CHECKED = {"serve-synopsis", "cli-synopsis", "conformance-real", "directory-toml", "layout"}
ELSEWHERE = {  # run by another test, which the marker names
    "quick-start": "tests/test_quickstart.py", "quick-start-serve": "tests/test_quickstart.py",
    "pytest-example": "tests/test_plugin.py",
}


def test_every_block_is_named_and_handled():
    found = all_snippets()
    unnamed = [s.where for s in found if not s.name]
    assert not unnamed, f"code blocks without a <!-- snippet: NAME --> marker: {unnamed}"
    names = [s.name for s in found]
    assert len(names) == len(set(names)), "snippet names must be unique"
    assert set(names) == RUN | CHECKED | set(ELSEWHERE)
    for name, test in ELSEWHERE.items():
        assert f'"{name}"' in (ROOT / test).read_text(), f"{test} does not run the {name} block"


@pytest.fixture(scope="module")
def server():
    proc = ServerProcess("--store", ":memory:")
    yield proc
    proc.kill()


def localize(code: str, endpoint: str) -> str:
    base = endpoint.rsplit("/EWS/", 1)[0]
    return code.replace("http://127.0.0.1:8765", base).replace(".venv/bin/", f"{BIN}/")


def run_sh(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + code
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **(env or {})})


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def client(server, smtp: str) -> EwsClient:
    return EwsClient(server.endpoint, user=smtp, password=PASSWORDS[smtp])


# --- blocks that run --------------------------------------------------------------------

def test_exchangelib_quick(server):
    out = ok(run_python(localize(snippet("exchangelib-quick").code, server.endpoint)))
    assert out.startswith("New Time Proposed: Lunch 2030-01-16 12:00:00+00:00 2030-01-16 13:00:00+00:00")


def test_client_library(server):
    ok(run_python(localize(snippet("client-library").code, server.endpoint)))
    alex = client(server, "AlexW@contoso.com")
    (response,) = [p for p in alex.proposals() if p.subject == "Team lunch"]
    # Everyone was free the next day: the meeting moved there.
    assert response.meeting.start == datetime(2030, 1, 17, 12, tzinfo=UTC)


def test_exchangelib_walk(server):
    out = ok(run_python(localize(snippet("exchangelib-walk").code, server.endpoint)))
    assert "proposed: 2030-04-03 12:00:00+00:00 - 2030-04-03 13:00:00+00:00" in out
    assert "Adele's update: FullUpdate 2030-04-03 12:00:00+00:00" in out


def test_first_look(server):
    out = ok(run_sh(localize(snippet("first-look").code, server.endpoint)))
    assert "Meeting requests for AdeleV@contoso.com" in out or "No meeting requests" in out
    curl = ok(run_sh(localize(snippet("first-look-curl").code, server.endpoint)))
    assert "<m:ResponseCode>NoError</m:ResponseCode>" in curl and "TotalItemsInView" in curl


def test_cli_walk(server):
    out = ok(run_sh(localize(snippet("cli-walk").code, server.endpoint)))
    assert "Created 'Lunch' at 2030-03-05 12:00Z-13:00Z" in out
    assert "Proposed 2030-03-06 12:00Z-13:00Z (tentative)." in out
    assert "everyone free" in out
    assert "Moved 'Lunch' to 2030-03-06 12:00Z-13:00Z" in out
    adele = client(server, "AdeleV@contoso.com")
    update = next(r for r in adele.meeting_requests() if r.subject == "Lunch")
    assert (update.meeting_request_type, update.start) == ("FullUpdate", datetime(2030, 3, 6, 12, tzinfo=UTC))


def test_samples_blocks(server):
    out = ok(run_sh(localize(snippet("client-sample").code, server.endpoint)))
    assert "6. Adele received the updated meeting request" in out
    out = ok(run_sh(localize(snippet("raw-sample").code, server.endpoint)))
    assert "Meeting moved to the proposed time" in out


def test_graph_curl(server):
    out = ok(run_sh(localize(snippet("graph-curl").code, server.endpoint)))
    page = json.loads(out)
    assert isinstance(page["value"], list) and "@odata.context" in page


def test_conformance_local():
    code = snippet("conformance-local").code
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = code.replace("8765", str(port)).replace("conformance.xml", "/dev/null")
    out = ok(run_sh(code))
    assert re.search(r"OK: \d+ checks: \d+ passed, 0 failed, 0 errors", out), out


def test_faults(ews_emulator):
    exec(snippet("faults").code, {"ews_emulator": ews_emulator})  # noqa: S102 - the README's own lines
    assert len(ews_emulator.faults.pending) == 3
    answer = ews_emulator.soap("AlexW@contoso.com").call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')
    assert answer.fault_code == "ErrorServerBusy"


# --- blocks that describe ---------------------------------------------------------------

def help_options(*command: str) -> set[str]:
    out = ok(subprocess.run([sys.executable, "-m", "ews_propose", *command, "--help"],
                            capture_output=True, text=True, timeout=60))
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", out)) - {"--help"}


def options_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text))


def test_serve_synopsis_matches_help():
    assert options_in(snippet("serve-synopsis").code) == help_options("serve")


def test_cli_synopsis_matches_each_commands_help():
    code = snippet("cli-synopsis").code
    commands = re.split(r"^(?=ews-propose )", code, flags=re.M)
    seen = set()
    for block in filter(None, commands):
        name = block.split()[1]
        seen.add(name)
        documented = options_in(block.split("#")[0] if "\n" not in block.strip() else block)
        connection = {"--endpoint", "--user", "--password", "--token", "--schema-version", "--json",
                      "--ca-bundle"}
        assert documented <= help_options(name), name
        assert help_options(name) - connection - {"--ids"} <= documented, name
    assert seen == {"invite", "meeting-requests", "propose", "proposals", "accept-proposal", "decline-proposal"}


def test_conformance_real_options_exist():
    assert options_in(snippet("conformance-real").code) <= help_options("conformance")


def test_directory_toml_loads(tmp_path):
    path = tmp_path / "dir.toml"
    path.write_text(textwrap.dedent(snippet("directory-toml").code))
    (mailbox,) = Directory.load(str(path))
    assert (mailbox.smtp, mailbox.name, mailbox.kind) == ("AlexW@contoso.com", "Alex Wilber", "user")


def test_layout_matches_the_tree():
    for line in snippet("layout").code.splitlines():
        m = re.match(r"^( {2})?([\w.]+/|[\w.]+\.py)\s", line + " ")
        if not m:
            continue
        top = m.group(2)
        path = ROOT / top if not m.group(1) else ROOT / "ews_propose" / top
        assert path.exists(), f"README layout names {top}, which does not exist"
