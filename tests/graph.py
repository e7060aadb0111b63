"""A raw Graph line for tests: requests over the emulator's real socket, one mailbox's
bearer token, answers checked to be Graph-shaped (JSON errors, never a traceback)."""

from __future__ import annotations

import json
from typing import Any

import requests

ALEX = ("AlexW@contoso.com", "alex-demo-graph-token")
ADELE = ("AdeleV@contoso.com", "adele-demo-graph-token")
MEGAN = ("MeganB@contoso.com", "megan-demo-graph-token")
PST = 'outlook.timezone="Pacific Standard Time"'

LUNCH = {
    "subject": "Let's go for lunch",
    "body": {"contentType": "HTML", "content": "Does noon work for you?"},
    "start": {"dateTime": "2019-08-15T12:00:00", "timeZone": "Pacific Standard Time"},
    "end": {"dateTime": "2019-08-15T14:00:00", "timeZone": "Pacific Standard Time"},
    "allowNewTimeProposals": True,
    "location": {"displayName": "Harry's Bar"},
    "attendees": [{"emailAddress": {"address": "AdeleV@contoso.com", "name": "Adele Vance"}, "type": "required"}],
}
# Seed 000 step 2, byte for byte the shape the page sends: a string boolean, capitalised keys.
SEED_PROPOSAL = {
    "comment": "Can you make the next day instead?",
    "sendResponse": "true",
    "proposedNewTime": {
        "Start": {"DateTime": "2019-08-16T12:00:00", "TimeZone": "Pacific Standard Time"},
        "End": {"DateTime": "2019-08-16T14:00:00", "TimeZone": "Pacific Standard Time"},
    },
}


class GraphLine:
    def __init__(self, root: str, token: str | None, prefer: str | None = None) -> None:
        self.root = root
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if prefer:
            self.session.headers["Prefer"] = prefer

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None,
             headers: dict[str, str] | None = None, **params: Any) -> requests.Response:
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        r = self.session.request(method, self.root + path, data=data, headers=hdrs, params=params or None,
                                 timeout=30)
        if r.status_code >= 400:
            assert_graph_error(r)
        return r

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, **params)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.call("POST", path, body=body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.call("PATCH", path, body=body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.call("DELETE", path, **kw)

    def messages(self, **params: Any) -> list[dict]:
        r = self.get("/me/messages", **{"$top": 50, **params})
        assert r.status_code == 200, r.text
        return r.json()["value"]

    def close(self) -> None:
        self.session.close()


def assert_graph_error(r: requests.Response) -> dict:
    """Graph's error form: JSON with error.code, error.message and innerError ids."""
    assert r.headers["Content-Type"].startswith("application/json"), r.text
    error = r.json()["error"]
    assert error["code"] and error["message"], error
    assert {"date", "request-id", "client-request-id"} <= set(error["innerError"]), error
    assert "Traceback" not in r.text
    return error
