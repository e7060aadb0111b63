"""Graph over the emulator's native HTTPS (serve --tls): same port as EWS, same mailboxes."""

from __future__ import annotations

from .graph import ADELE, ALEX, LUNCH, SEED_PROPOSAL, GraphLine


def test_graph_over_https(ews_emulator_tls):
    root = ews_emulator_tls.graph_url
    assert root.startswith("https://") and root.endswith("/v1.0")
    alex, adele = GraphLine(root, ALEX[1]), GraphLine(root, ADELE[1])
    for line in (alex, adele):
        line.session.verify = str(ews_emulator_tls.ca_file)
        line.session.trust_env = False  # a REQUESTS_CA_BUNDLE in the environment would win over verify
    event = alex.post("/me/events", LUNCH).json()
    request = adele.get("/me/messages", **{"$expand": "microsoft.graph.eventMessage/event"}).json()["value"][0]
    assert adele.post(f"/me/events/{request['event']['id']}/tentativelyAccept", SEED_PROPOSAL).status_code == 202
    assert alex.messages()[0]["subject"] == "New Time Proposed: Let's go for lunch"
    assert alex.get(f"/me/events/{event['id']}").json()["attendees"][0]["proposedNewTime"]
    # and EWS on the same port sees the same MeetingResponse
    account = ews_emulator_tls.exchangelib_account("AlexW@contoso.com")
    assert [m.subject for m in account.inbox.all()] == ["New Time Proposed: Let's go for lunch"]
