"""Graph rates against the EWS rates of the same work, one server process, one run.

    python bench/graph_wire.py [--duration 8] [--connections 4] [--store PATH|URL]

One `ews-propose serve` (EWS and Graph on one port) is seeded with a meeting from Alex
to Adele; then wrk drives, one after the other, on the same process:

- EWS GetItem of Adele's calendar item of the meeting (AllProperties) and Graph
  `GET /v1.0/users/AdeleV@contoso.com/events/{id}` of the same event;
- EWS CreateItem of a TentativelyAcceptItem with ProposedStart/End referring to that
  calendar item, and Graph `POST .../events/{id}/tentativelyAccept` with
  `proposedNewTime`: each one the whole reply (Adele's item, the response sent, the
  organizer's MeetingResponse and attendee entry), in one transaction.

Each call is made once more after its measurement and must succeed (NoError; Graph 200
or 202). Prints req/s, p50, p99 and the Graph / EWS ratios. Needs wrk.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from wire import ADELE, ALEX, _latency, basic, running  # noqa: E402

from ews_propose.graph.ids import rest_id  # noqa: E402
from tests.ews import Soap, envelope  # noqa: E402

TOKEN = "adele-demo-graph-token"


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def run_wrk(url: str, method: str, headers: dict[str, str], body: str | None, duration: int, connections: int,
            threads: int, work: Path) -> dict:
    script = work / "graph.lua"
    lines = [f'wrk.method = "{method}"']
    lines += [f'wrk.headers["{k}"] = {lua_string(v)}' for k, v in headers.items()]
    if body is not None:
        lines.append(f"wrk.body = {lua_string(body)}")
    script.write_text("\n".join(lines) + "\n")
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
                          str(script), url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50_ms": _latency(out, "50%"),
            "p99_ms": _latency(out, "99%"), "errors": int(non_2xx.group(1)) if non_2xx else 0}


def seed(endpoint: str) -> tuple[str, str]:
    """A meeting from Alex to Adele; Adele's calendar item's EWS id."""
    alex, adele = Soap(endpoint, *ALEX), Soap(endpoint, *ADELE)
    alex.create_meeting("Graph and EWS", "2026-12-03T12:00:00Z", "2026-12-03T13:00:00Z")
    for n in range(20):  # a calendar with other meetings in it, as bench/wire.py's
        alex.create_meeting(f"Other {n}", f"2026-12-03T{8 + n % 10:02d}:00:00Z", f"2026-12-03T{8 + n % 10:02d}:30:00Z")
    found = adele.call(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>'
        '<t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape>'
        '<m:CalendarView StartDate="2026-12-03T00:00:00Z" EndDate="2026-12-04T00:00:00Z"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
    item = next(el for el in found.xpath("//t:CalendarItem")
                if el.findtext("{http://schemas.microsoft.com/exchange/services/2006/types}Subject") == "Graph and EWS")
    return item.find("{http://schemas.microsoft.com/exchange/services/2006/types}ItemId").get("Id"), found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4, help="server threads (default 4)")
    ap.add_argument("--store", help="store (default: a new SQLite file); a postgresql:// URL works too")
    ap.add_argument("--port", type=int, default=0, help="the emulator's port (default: a free one)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("bench/graph_wire.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        store = args.store or str(work / "store.sqlite3")
        serve = [sys.executable, "-m", "ews_propose", "serve", "--port", str(args.port), "--store", store,
                 "--threads", str(args.threads)]
        with running(serve) as endpoint:
            root = endpoint.replace("/EWS/Exchange.asmx", "")
            item_id, _ = seed(endpoint)
            event_url = f"{root}/v1.0/users/AdeleV@contoso.com/events/{rest_id(item_id)}"
            get_item = envelope(
                "<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>"
                f'<m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>').decode()
            propose = envelope(
                '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:TentativelyAcceptItem>'
                f'<t:ReferenceItemId Id="{item_id}"/><t:ProposedStart>2026-12-04T12:00:00Z</t:ProposedStart>'
                "<t:ProposedEnd>2026-12-04T13:00:00Z</t:ProposedEnd></t:TentativelyAcceptItem></m:Items>"
                "</m:CreateItem>").decode()
            graph_propose = json.dumps({
                "comment": "", "sendResponse": True,
                "proposedNewTime": {"start": {"dateTime": "2026-12-04T12:00:00", "timeZone": "UTC"},
                                    "end": {"dateTime": "2026-12-04T13:00:00", "timeZone": "UTC"}}})
            soap = {"Content-Type": "text/xml; charset=utf-8", "Authorization": basic(ADELE)}
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            calls = [
                ("EWS", "GetItem (calendar item)", endpoint, "POST", soap, get_item),
                ("Graph", "GET event", event_url, "GET", bearer, None),
                ("EWS", "CreateItem TentativelyAccept + proposal", endpoint, "POST", soap, propose),
                ("Graph", "POST tentativelyAccept + proposedNewTime", event_url + "/tentativelyAccept", "POST",
                 {**bearer, "Content-Type": "application/json"}, graph_propose),
            ]
            for surface, name, url, method, headers, body in calls:
                check = requests.request(method, url, headers=headers, data=body, timeout=30)
                ok = (check.status_code == 200 and set(re.findall(rb"<m:ResponseCode>([^<]+)<", check.content))
                      == {b"NoError"}) if surface == "EWS" else check.status_code in (200, 202)
                assert ok, (name, check.status_code, check.content[:500])
                figures = run_wrk(url, method, headers, body, args.duration, args.connections, args.wrk_threads,
                                  work)
                again = requests.request(method, url, headers=headers, data=body, timeout=30)
                assert again.status_code in (200, 202) and b'ResponseClass="Error"' not in again.content, \
                    (name, again.status_code, again.content[:500])
                results.append({"surface": surface, "call": name, **figures})
                print(f"  {surface:<5} {name:<42} {figures}", flush=True)
    print()
    print("| surface | call | req/s | p50 ms | p99 ms | non-2xx | Graph / EWS |")
    print("|---|---|---|---|---|---|---|")
    for n, r in enumerate(results):
        ratio = f"{r['rps'] / results[n - 1]['rps']:.2f}x" if r["surface"] == "Graph" else ""
        print(f"| {r['surface']} | {r['call']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{r['errors']} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
