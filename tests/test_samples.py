"""The envelopes in samples/ play the whole lunch scenario against the emulator."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def load_scenario():
    spec = importlib.util.spec_from_file_location("lunch_scenario", SAMPLES / "lunch_scenario.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_raw_envelopes_play_the_lunch_scenario(emulator, adele):
    lines: list[str] = []
    learned = load_scenario().play(emulator.endpoint, out=lines.append)
    assert len(lines) == len(list((SAMPLES / "envelopes").glob("*.xml")))
    assert (learned["PROPOSED_START"], learned["PROPOSED_END"]) == ("2026-12-02T12:00:00Z", "2026-12-02T13:00:00Z")
    assert learned["ASSOCIATED_ID"] == learned["MEETING_ID"]
    ops = [ex.operation for ex in emulator.exchanges]
    assert ops == ["CreateItem", "FindItem", "GetItem", "CreateItem", "FindItem", "GetItem", "GetItem",
                   "UpdateItem", "FindItem"]


def test_the_script_reports_failure_with_exit_status_1(emulator):
    # Against the emulator the script succeeds; pointed at a wrong path it must say so.
    script = [sys.executable, str(SAMPLES / "lunch_scenario.py"), "--endpoint", emulator.endpoint]
    first = subprocess.run(script, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "Meeting moved to the proposed time 2026-12-02T12:00:00Z" in first.stdout
    bad = subprocess.run([*script[:-1], emulator.endpoint.replace("/EWS/", "/nowhere/")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "lunch scenario failed" in bad.stderr
