"""``ews-propose conformance --graph``: every Graph check passes against the emulator,
a server that breaks a rule fails that check, and cleanup leaves nothing behind."""

from __future__ import annotations

import json

import pytest

from ews_propose.cli import main
from ews_propose.conformance.graph import GRAPH_CHECKS, GraphTarget, run_graph_suite
from ews_propose.server import EmulatorServer, ServerConfig

from .graph import ADELE, ALEX, GraphLine
from .stores import store_for

ARGS = ["--organizer", ALEX[0], "--attendee", ADELE[0], "--wait", "5"]


def serve(tmp_path, wrap_graph=None):
    return EmulatorServer(ServerConfig(port=0, store=store_for(tmp_path, "s.sqlite3")), wrap_graph=wrap_graph).start()


def test_every_graph_check_passes_against_the_emulator(tmp_path, monkeypatch, capsys):
    server = serve(tmp_path)
    try:
        monkeypatch.setenv("GRAPH_ORGANIZER_TOKEN", ALEX[1])
        monkeypatch.setenv("GRAPH_ATTENDEE_TOKEN", ADELE[1])
        junit = tmp_path / "graph.xml"
        code = main(["conformance", "--graph", server.graph_url, *ARGS, "--junit", str(junit)])
        out = capsys.readouterr().out
        assert code == 0, out
        assert f"{len(GRAPH_CHECKS)} checks: {len(GRAPH_CHECKS)} passed, 0 failed" in out
        assert junit.read_text().count("<testcase") == len(GRAPH_CHECKS)
        for token in (ALEX[1], ADELE[1]):
            assert token not in out
            line = GraphLine(server.graph_url, token)
            left = [m for m in line.messages() if "graphconf-" in m["subject"]]
            assert left == [] and line.get("/me/events").json()["value"] == []
    finally:
        server.stop()


class DropsProposals:
    """A Graph server with a defect: it strips proposedNewTime from its answers."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        captured = {}

        def keep(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        body = b"".join(self.app(environ, keep))
        if body and body.startswith(b"{"):
            data = json.loads(body)
            for value in data.get("value", [data]):
                value.pop("proposedNewTime", None)
                for attendee in value.get("attendees", []) or []:
                    attendee.pop("proposedNewTime", None)
            body = json.dumps(data).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


def test_a_broken_rule_fails_its_check(tmp_path):
    server = serve(tmp_path, wrap_graph=DropsProposals)
    try:
        report = run_graph_suite(GraphTarget(server.graph_url, ALEX[0], ADELE[0], ALEX[1], ADELE[1], wait_seconds=3))
        failed = {r.check.id for r in report.results if r.status == "FAIL"}
        assert failed == {"graph-organizer-response", "graph-attendee-proposal"}
        assert not report.ok and report.cleanup.ok
    finally:
        server.stop()


@pytest.mark.parametrize("env, expected", [({}, "GRAPH_ORGANIZER_TOKEN is not set"),
                                           ({"GRAPH_ORGANIZER_TOKEN": "wrong-token-0123456789",
                                             "GRAPH_ATTENDEE_TOKEN": ADELE[1]}, "refused the token")])
def test_setup_problems_exit_2(tmp_path, monkeypatch, capsys, env, expected):
    monkeypatch.delenv("GRAPH_ORGANIZER_TOKEN", raising=False)
    monkeypatch.delenv("GRAPH_ATTENDEE_TOKEN", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    server = serve(tmp_path)
    try:
        assert main(["conformance", "--graph", server.graph_url, *ARGS]) == 2
        assert expected in capsys.readouterr().err
    finally:
        server.stop()


def test_list_graph_checks(capsys):
    assert main(["conformance", "--graph", "http://x/v1.0", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(c.id in out for c in GRAPH_CHECKS)
