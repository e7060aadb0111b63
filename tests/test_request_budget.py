"""A time budget per request (``Limits.max_request_seconds``, rules/budget.py): a request
that would take longer stops with ErrorTimeoutExpired, keeps nothing half-done, and does
not hold the store's write lock past its budget."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from ews_propose.rules import ids
from ews_propose.rules import model as m
from ews_propose.rules.limits import Limits
from ews_propose.server import EmulatorServer, ServerConfig
from ews_propose.store import open_store

from .ews import Soap
from .graph import ALEX as GRAPH_ALEX
from .graph import GraphLine

ALEX = "AlexW@contoso.com"
ADELE = "AdeleV@contoso.com"
ITEMS = 60_000
BUDGET_S = 0.5


def _fill_inbox(path: str, count: int) -> None:
    """``count`` messages in Alex's Inbox, written straight through the store interface."""
    now = datetime(2030, 1, 1, tzinfo=UTC)
    owner = m.Person(ALEX, "Alex Wilber")
    with open_store(path) as store:
        for first in range(0, count, 10_000):
            with store.transaction() as tx:
                for n in range(first, min(count, first + 10_000)):
                    tx.put(m.Item(id=ids.new_item_id(), mailbox=ALEX, folder=m.INBOX, kind=m.MESSAGE,
                                  change_key=ids.new_change_key(), item_class="IPM.Note", subject=f"note {n}",
                                  created=now, received=now + timedelta(seconds=n), sender=owner, is_read=True))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("budget") / "store.sqlite3")
    _fill_inbox(path, ITEMS)
    srv = EmulatorServer(ServerConfig(port=0, store=path, limits=Limits(max_request_seconds=BUDGET_S))).start()
    yield srv
    srv.stop()


def inbox_count(soap: Soap) -> int:
    answer = soap.call('<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
                       '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
    return int(answer.first("//t:TotalCount").text)


def test_emptying_a_huge_folder_stops_at_the_budget_and_keeps_everything(server):
    alex = Soap(server.endpoint, ALEX)
    adele = Soap(server.endpoint, ADELE)
    assert inbox_count(alex) == ITEMS
    waited: dict[str, float] = {}

    def other_writer():
        time.sleep(0.1)  # while the EmptyFolder below holds the write lock
        began = time.perf_counter()
        made = adele.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
                          "<t:Subject>meanwhile</t:Subject></t:Message></m:Items></m:CreateItem>")
        waited["s"] = time.perf_counter() - began
        waited["code"] = made.response_codes

    writer = threading.Thread(target=other_writer)
    began = time.perf_counter()
    writer.start()
    # Unbounded, this EmptyFolder holds the write lock for about 8 s on this machine.
    answer = alex.call('<m:EmptyFolder DeleteType="MoveToDeletedItems" DeleteSubFolders="false"><m:FolderIds>'
                       '<t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:EmptyFolder>')
    took = time.perf_counter() - began
    writer.join()
    assert answer.response_codes == ["ErrorTimeoutExpired"], answer.content
    assert "0.5 seconds" in answer.first("//m:MessageText").text
    assert took < BUDGET_S + 2.5, took
    assert inbox_count(alex) == ITEMS  # rolled back: not one message gone
    # The other mailbox's write waited at most for the rest of the budget.
    assert waited["code"] == ["NoError"] and waited["s"] < BUDGET_S + 2.5, waited


def test_a_restriction_over_a_huge_folder_stops_at_the_budget(server):
    alex = Soap(server.endpoint, ALEX)
    answer = alex.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
        '<m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase">'
        '<t:FieldURI FieldURI="item:Subject"/><t:Constant Value="nothing like this"/></t:Contains></m:Restriction>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')
    assert answer.response_codes == ["ErrorTimeoutExpired"] or (
        answer.first("//faultcode") is not None and answer.first("//faultcode").text.endswith("ErrorTimeoutExpired")
    ), answer.content
    # ... and a small request right after is answered as usual.
    assert inbox_count(alex) == ITEMS


def test_graph_answers_504_past_the_budget(server):
    line = GraphLine(server.graph_url, GRAPH_ALEX[1])
    try:
        r = line.get("/me/mailFolders/inbox/messages", **{"$filter": "subject eq 'nothing like this'", "$top": "5"})
        assert r.status_code == 504, r.text[:500]
        assert r.json()["error"]["code"] == "ErrorTimeoutExpired"
        assert line.get("/me/mailFolders/inbox").json()["totalItemCount"] == ITEMS
    finally:
        line.close()
