"""Wire throughput and latency of the emulator against a hand-written lxml baseline.

    python bench/wire.py [--duration 10] [--connections 4] [--workers 1,2]

For each worker count it starts `ews-propose serve` (a store file, the demo mailboxes),
seeds a meeting, and drives four calls over keep-alive connections with wrk:
GetItem (a meeting request with ResponseObjects), FindItem (a CalendarView over one
day), CreateItem (a TentativelyAcceptItem with a proposal: one transaction across two
mailboxes) and UpdateItem (moving the meeting back and forth, updates sent to the
attendee). Then, in the same run, the baselines (bench/baseline.py: a hand-written lxml
handler that builds the response, and one that returns stored bytes) answer the same
GetItem with identical bytes on the same server software. Prints req/s, p50, p99 and
the ratios the targets are stated in. Needs wrk (`apt-get install wrk`; `make bench`
installs it).
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ews import Soap, envelope  # noqa: E402

ADELE = ("AdeleV@contoso.com", "adele-demo-pw")
ALEX = ("AlexW@contoso.com", "alex-demo-pw")
DAY = ("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")
TIMES = [("2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z"), ("2026-12-01T14:00:00Z", "2026-12-01T15:00:00Z")]


def basic(user: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()


@contextmanager
def running(cmd: list[str], pattern: str = r"(http://\S+/EWS/Exchange\.asmx)"):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 30
        endpoint = None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            found = re.search(pattern, line or "")
            if found:
                endpoint = found.group(1)
                break
            if proc.poll() is not None:
                break
        if endpoint is None:
            raise RuntimeError(f"{cmd[2:4]} did not start")
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def wrk(endpoint: str, bodies: list[bytes], authorization: str, duration: int, connections: int,
        threads: int, workdir: Path) -> dict:
    script = workdir / "request.lua"
    quoted = ",\n".join(f"[==[{b.decode()}]==]" for b in bodies)
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "text/xml; charset=utf-8"\n'
        f'wrk.headers["Authorization"] = "{authorization}"\n'
        f"bodies = {{{quoted}}}\n"
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])\n"
        "end\n")
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                          "-s", str(script), endpoint], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rate, "p50_ms": _latency(out, "50%"), "p99_ms": _latency(out, "99%"),
            "errors": int(non_2xx.group(1)) if non_2xx else 0}


def _latency(out: str, pct: str) -> float:
    value, unit = re.search(rf"^\s+{re.escape(pct)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def seed(endpoint: str) -> dict[str, list[bytes] | bytes | str]:
    alex, adele = Soap(endpoint, ALEX[0], ALEX[1]), Soap(endpoint, ADELE[0], ADELE[1])
    meeting_id, _ = alex.create_meeting("Lunch", *TIMES[0])
    for n in range(20):  # a day with some other meetings in it
        alex.create_meeting(f"Other {n}", f"2026-12-01T{8 + n % 10:02d}:00:00Z",
                            f"2026-12-01T{8 + n % 10:02d}:30:00Z")
    request_id = next(i for i, _ in adele.find_ids("inbox", "MeetingRequest")
                      if adele.get(i).text("//t:Subject") == "Lunch")
    # The proposals answer a meeting of their own that nothing moves: Lunch's request is
    # superseded by the UpdateItem below, and answering it would time an
    # ErrorCalendarMeetingRequestIsOutOfDate (a read and a rollback) instead of the write.
    alex.create_meeting("Proposals", "2026-12-03T12:00:00Z", "2026-12-03T13:00:00Z")
    proposals_id = next(i for i, _ in adele.find_ids("inbox", "MeetingRequest")
                        if adele.get(i).text("//t:Subject") == "Proposals")
    get_item = envelope(
        "<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape><t:AdditionalProperties>"
        '<t:FieldURI FieldURI="item:ResponseObjects"/></t:AdditionalProperties></m:ItemShape>'
        f'<m:ItemIds><t:ItemId Id="{request_id}"/></m:ItemIds></m:GetItem>')
    find_item = envelope(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        f'<m:CalendarView StartDate="{DAY[0]}" EndDate="{DAY[1]}"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
    propose = envelope(
        '<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:TentativelyAcceptItem>'
        f'<t:ReferenceItemId Id="{proposals_id}"/><t:ProposedStart>2026-12-04T12:00:00Z</t:ProposedStart>'
        "<t:ProposedEnd>2026-12-04T13:00:00Z</t:ProposedEnd></t:TentativelyAcceptItem></m:Items></m:CreateItem>")
    moves = [envelope(
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy">'
        f'<m:ItemChanges><t:ItemChange><t:ItemId Id="{meeting_id}"/><t:Updates>'
        f'<t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>{s}</t:Start></t:CalendarItem></t:SetItemField>'
        f'<t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem><t:End>{e}</t:End></t:CalendarItem></t:SetItemField>'
        "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>") for s, e in TIMES]
    for name, body, user in (("GetItem", get_item, ADELE), ("FindItem", find_item, ADELE),
                             ("CreateItem", propose, ADELE), ("UpdateItem", moves[1], ALEX)):
        answer = Soap(endpoint, *user).post(body)
        assert answer.status == 200 and set(answer.response_codes) == {"NoError"}, (name, answer.content[:500])
    answer = requests.post(endpoint, data=get_item, auth=ADELE, timeout=10)
    return {"request_id": request_id, "getitem_response": answer.content,
            "bodies": {"GetItem": ([get_item], ADELE), "FindItem": ([find_item], ADELE),
                       "CreateItem": ([propose], ADELE), "UpdateItem": (moves, ALEX)}}


def answered(endpoint: str, body: bytes, user) -> None:
    """The call, made once more after its measurement, is answered NoError: a benchmark of
    an error answer measures nothing."""
    answer = requests.post(endpoint, data=body, auth=user, headers={"Content-Type": "text/xml"}, timeout=30)
    codes = set(re.findall(rb"<m:ResponseCode>([^<]+)<", answer.content))
    assert answer.status_code == 200 and codes == {b"NoError"}, answer.content[:600]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per measurement (default 10)")
    ap.add_argument("--connections", type=int, default=4, help="keep-alive connections (default 4)")
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4, help="server threads per worker (default 4)")
    ap.add_argument("--workers", default="1,2", help="server worker counts to measure (default 1,2)")
    ap.add_argument("--ops", default="GetItem,FindItem,CreateItem,UpdateItem", help="calls to measure")
    ap.add_argument("--no-baseline", action="store_true", help="skip the baseline server")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("bench/wire.py needs wrk: apt-get install wrk (or `make bench`)", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for workers in [int(w) for w in args.workers.split(",")]:
            store = work / f"store-{workers}.sqlite3"
            serve = [sys.executable, "-m", "ews_propose", "serve", "--port", "0", "--store", str(store),
                     "--threads", str(args.threads), "--workers", str(workers)]
            with running(serve) as endpoint:
                seeded = seed(endpoint)
                for op, (bodies, user) in seeded["bodies"].items():
                    if op not in args.ops.split(","):
                        continue
                    figures = wrk(endpoint, bodies, basic(user), args.duration, args.connections,
                                  args.wrk_threads, work)
                    answered(endpoint, bodies[-1], user)  # still the call it means to time
                    results.append({"server": "emulator", "op": op, "workers": workers, **figures})
                    print(f"  emulator {op:<10} workers={workers}: {figures}", flush=True)
            if args.no_baseline:
                continue
            response = work / "getitem.xml"
            response.write_bytes(seeded["getitem_response"])
            for mode in ("build", "static"):
                baseline = [sys.executable, str(ROOT / "bench" / "baseline.py"), "--response", str(response),
                            "--item-id", seeded["request_id"], "--authorization", basic(ADELE),
                            "--threads", str(args.threads), "--workers", str(workers), "--mode", mode]
                with running(baseline) as endpoint:
                    check = requests.post(endpoint, data=seeded["bodies"]["GetItem"][0][0], auth=ADELE,
                                          timeout=10)
                    assert check.content == seeded["getitem_response"], "the baseline must answer identical bytes"
                    figures = wrk(endpoint, seeded["bodies"]["GetItem"][0], basic(ADELE), args.duration,
                                  args.connections, args.wrk_threads, work)
                    results.append({"server": f"baseline-{mode}", "op": "GetItem", "workers": workers, **figures})
                    print(f"  baseline-{mode} GetItem workers={workers}: {figures}", flush=True)
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def print_table(results: list[dict]) -> None:
    base = {r["workers"]: r for r in results if r["server"] == "baseline-build"}
    static = {r["workers"]: r for r in results if r["server"] == "baseline-static"}
    get = {r["workers"]: r for r in results if r["server"] == "emulator" and r["op"] == "GetItem"}
    nothing = {"rps": float("nan")}
    print()
    print("| server | call | workers | req/s | p50 ms | p99 ms | p99/p50 | non-2xx | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if r["server"] == "baseline-build":
            ratio = "1.00 (baseline)"
        elif r["server"] == "baseline-static":
            ratio = f"{r['rps'] / base.get(r['workers'], nothing)['rps']:.2f} x baseline"
        elif r["op"] == "GetItem":
            ratio = (f"{r['rps'] / base.get(r['workers'], nothing)['rps']:.2f} x baseline, "
                     f"{r['rps'] / static.get(r['workers'], nothing)['rps']:.2f} x static")
        else:
            ratio = f"{r['rps'] / get.get(r['workers'], nothing)['rps']:.2f} x GetItem"
        print(f"| {r['server']} | {r['op']} | {r['workers']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
              f"{r['p99_ms']:.2f} | {r['p99_ms'] / r['p50_ms']:.1f} | {r['errors']} | {ratio} |")


if __name__ == "__main__":
    sys.exit(main())
