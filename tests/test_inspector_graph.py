"""The inspector shows the Graph surface too: Graph calls in the request log (method,
path, mailbox, status, pretty JSON bodies, never the token) and each item as Graph JSON
beside its EWS XML. Read over HTTP as the page's own fragments; the browser tests in
tests/test_inspector.py cover what a person sees."""

from __future__ import annotations

import re

import pytest
import requests

from ews_propose.graph import ids
from ews_propose.server import EmulatorServer, ServerConfig

from .graph import ADELE, ALEX, LUNCH, SEED_PROPOSAL, GraphLine
from .stores import store_for


@pytest.fixture
def server(tmp_path):
    srv = EmulatorServer(ServerConfig(port=0, store=store_for(tmp_path, "store.sqlite3"))).start()
    yield srv
    srv.stop()


def test_graph_calls_and_graph_json_in_the_inspector(server):
    alex, adele = GraphLine(server.graph_url, ALEX[1]), GraphLine(server.graph_url, ADELE[1])
    event = alex.post("/me/events", LUNCH).json()
    (request,) = [m for m in adele.messages() if m["@odata.type"] == "#microsoft.graph.eventMessageRequest"]
    adeles_event = adele.get(f"/me/messages/{request['id']}",
                             **{"$expand": "microsoft.graph.eventMessage/event"}).json()["event"]
    r = adele.post(f"/me/events/{adeles_event['id']}/tentativelyAccept", SEED_PROPOSAL)
    assert r.status_code == 202

    inspector = server.inspector_url
    log = requests.get(inspector + "fragment/log", timeout=30).text
    assert "POST /v1.0/me/events" in log
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", log, re.S) if "tentativelyAccept" in row]
    assert len(rows) == 1 and "AdeleV@contoso.com" in rows[0] and ">202<" in rows[0]
    seq = re.search(r"call\?seq=(\d+)", rows[0]).group(1)
    call = requests.get(inspector + f"call?seq={seq}", timeout=30).text
    assert "&quot;proposedNewTime&quot;: {" in call  # the request body, indented JSON
    assert ADELE[1] not in call and ALEX[1] not in log  # tokens are never shown

    page = requests.get(inspector + "item", params={"id": ids.ews_id(event["id"])}, timeout=30).text
    assert "As EWS XML" in page and "As Graph JSON" in page
    graph_part = page.split("As Graph JSON", 1)[1]
    assert "&quot;proposedNewTime&quot;" in graph_part and "&quot;tentativelyAccepted&quot;" in graph_part
