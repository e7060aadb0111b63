"""Property-based fuzzing of the Graph surface: mutated bodies of every write (events,
PATCH, the actions, translateExchangeIds, getSchedule), random query options and path
segments. Whatever arrives, the answer is a success or Graph's error JSON with a 4xx,
never a 500, a traceback or an ERROR in the log; a valid request is answered afterwards.

EWS_FUZZ_EXAMPLES=N runs N examples per target (default 25).
"""

from __future__ import annotations

import copy
import json
import logging
import os

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ews_propose.graph.ids import ews_id
from ews_propose.server import EmulatorServer, ServerConfig

from .ews import Soap
from .graph import ADELE, ALEX, LUNCH, SEED_PROPOSAL, GraphLine, assert_graph_error
from .stores import store_for

EXAMPLES = int(os.environ.get("EWS_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SCHEDULE = {"schedules": ["AdeleV@contoso.com"], "startTime": {"dateTime": "2019-08-15T00:00:00", "timeZone": "UTC"},
            "endTime": {"dateTime": "2019-08-16T00:00:00", "timeZone": "UTC"}, "availabilityViewInterval": 30}
TRANSLATE = {"inputIds": ["abc"], "sourceIdType": "restId", "targetIdType": "ewsId"}


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    errors = ErrorLog()
    logger = logging.getLogger("ews_propose")
    logger.addHandler(errors)
    server = EmulatorServer(ServerConfig(port=0, store=store_for(tmp_path_factory.mktemp("gfuzz"), "s.sqlite3"))).start()
    alex, adele = GraphLine(server.graph_url, ALEX[1]), GraphLine(server.graph_url, ADELE[1])
    event = alex.post("/me/events", LUNCH).json()
    request = adele.get("/me/messages", **{"$expand": "microsoft.graph.eventMessage/event"}).json()["value"][0]
    try:
        yield server, errors, alex, adele, event, request["event"]
    finally:
        logger.removeHandler(errors)
        server.stop()


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=False),
                    st.text(max_size=30), st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x20),
                                                  max_size=5), st.sampled_from(["true", "false", "", "2019-08-15T12:00:00",
                                                           "Pacific Standard Time", "Mars/Base"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                           max_leaves=12)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


@st.composite
def mutated(draw, base):
    body = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(body) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = body
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["drop", "replace", "rename", "add"]))
        key = path[-1]
        if action == "drop":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(json_values)
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = parent.pop(key)
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
    return body


def check(r: requests.Response, ok: set[int]) -> None:
    assert r.status_code in ok or 400 <= r.status_code < 500, (r.status_code, r.text[:500])
    if r.status_code >= 400:
        assert_graph_error(r)


def still_serving(world) -> None:
    server, errors, alex, *_ = world
    assert alex.get("/me").status_code == 200
    assert errors.records == []


@FUZZ
@given(body=mutated(LUNCH))
def test_event_bodies(world, body):
    server, _, alex, *_ = world
    r = alex.post("/me/events", body)
    check(r, {201})
    if r.status_code == 201:  # what Graph stored, EWS can serve
        answer = Soap(server.endpoint, "AlexW@contoso.com").get(ews_id(r.json()["id"]))
        assert answer.response_codes == ["NoError"], answer.text("//m:MessageText")
    still_serving(world)


@FUZZ
@given(body=mutated({"subject": "x", "start": LUNCH["start"], "end": LUNCH["end"], "location": {"displayName": "y"},
                     "allowNewTimeProposals": True, "showAs": "busy"}))
def test_patch_bodies(world, body):
    _, _, alex, _, event, _ = world
    check(alex.patch(f"/me/events/{event['id']}", body), {200})
    still_serving(world)


@FUZZ
@given(action=st.sampled_from(["accept", "tentativelyAccept", "decline", "cancel"]), body=mutated(SEED_PROPOSAL))
def test_action_bodies(world, action, body):
    _, _, _, adele, _, hers = world
    check(adele.post(f"/me/events/{hers['id']}/{action}", body), {202})
    still_serving(world)


@FUZZ
@given(target=st.sampled_from([("/me/calendar/getSchedule", SCHEDULE), ("/me/translateExchangeIds", TRANSLATE)]),
       data=st.data())
def test_other_bodies(world, target, data):
    _, _, alex, *_ = world
    path, base = target
    check(alex.post(path, data.draw(mutated(base))), {200})
    still_serving(world)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_raw_bytes(world, raw):
    _, _, alex, *_ = world
    check(alex.post("/me/events", raw=raw, headers={"Content-Type": "application/json"}), {201})
    still_serving(world)


query_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["$top", "$skip", "$select", "$filter", "$orderby", "$expand",
                                               "$count", "startDateTime", "endDateTime"]),
                              st.one_of(query_text, st.sampled_from(["1", "-1", "subject", "isRead eq true",
                                                                     "receivedDateTime desc", "2019-08-15"])),
                              max_size=4),
       path=st.sampled_from(["/me/messages", "/me/events", "/me/calendarView", "/me/mailFolders/inbox/messages"]))
def test_query_options(world, params, path):
    _, _, alex, *_ = world
    check(alex.get(path, **params), {200})
    still_serving(world)


@FUZZ
@given(segments=st.lists(st.one_of(query_text.filter(lambda s: "/" not in s and s not in ("", ".", "..")),
                                   st.sampled_from(["events", "calendar", "calendars", "messages", "me", "users",
                                                    "calendarGroups", "accept"])), min_size=1, max_size=5),
       method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]))
def test_paths(world, segments, method):
    server, _, alex, *_ = world
    path = "/" + "/".join(requests.utils.quote(s, safe="") for s in segments)
    r = alex.session.request(method, alex.root + path, data=json.dumps({}), timeout=30,
                             headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (path, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert_graph_error(r)
    still_serving(world)


any_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=()), max_size=12)


@FUZZ
@given(subject=any_text, body=any_text, location=any_text)
def test_any_text_is_refused_or_readable_through_ews(world, subject, body, location):
    server, _, alex, *_ = world
    r = alex.post("/me/events", {**LUNCH, "subject": subject, "body": {"contentType": "text", "content": body},
                                 "location": {"displayName": location}})
    check(r, {201})
    if r.status_code == 201:
        answer = Soap(server.endpoint, "AlexW@contoso.com").get(ews_id(r.json()["id"]))
        assert answer.response_codes == ["NoError"]
        assert answer.text("//t:Subject") == subject
    still_serving(world)
