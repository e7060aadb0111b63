"""How long a change takes to reach an open GetStreamingEvents stream: polling against the
store's change signal, on SQLite and PostgreSQL, in the same run.

    python bench/stream_latency.py [--rounds 20] [--pg-url URL] [--base-port N] [--json FILE]

For each store and each way of waking the stream, `ews-propose serve` runs once (the
change made through the process the stream is on) or twice on one store (the change
made through the other process). A streaming subscription on Drafts is open on the first
process; each round saves a draft (CreateItem) and then renames it (UpdateItem), and
measures from the moment the call's answer is in to the moment the stream's part
carrying its CreatedEvent / ModifiedEvent is (negative: the part came first, the commit
preceding the answer). Rounds are spaced by a varying pause (0.1 to 0.4 s), so that a
poll's phase is spread.

- ``polling``: ``EWS_PROPOSE_STREAM_SIGNAL=off``: the stream looks every 0.25 s, as
  before the signal;
- ``signal``: the default: woken by the commit (SQLite: in-process at once, another
  process's through PRAGMA data_version, asked every 0.05 s; PostgreSQL: NOTIFY/LISTEN for
  both), with the fallback look every 5 s.

PostgreSQL is tests/pg_server.py's throwaway server unless --pg-url names one. Prints a
line per configuration and a table of medians with the ratio polling / signal.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from wire import ALEX  # noqa: E402

from ews_propose.testing.postgresql import fresh_schema  # noqa: E402
from tests.ews import NS, Soap, envelope  # noqa: E402
from tests.pg_server import PgServer  # noqa: E402

MODES = {"polling": {"EWS_PROPOSE_STREAM_SIGNAL": "off"}, "signal": {}}
OPS = ("CreateItem", "UpdateItem")
_ports = iter(())


@contextmanager
def serving(store: str, env: dict[str, str]):
    port = str(next(_ports, 0))
    proc = subprocess.Popen([sys.executable, "-m", "ews_propose", "serve", "--port", port, "--store", store],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **env})
    try:
        endpoint = None
        deadline = time.monotonic() + 30
        while endpoint is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            if "/EWS/Exchange.asmx" in line:
                endpoint = next(w for w in line.split() if w.endswith("/EWS/Exchange.asmx"))
        if endpoint is None:
            raise RuntimeError(f"serve --store {store} did not start")
        threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain the rest
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=15)


class Stream:
    """A GetStreamingEvents connection read on a thread: each event's (kind, item id) with
    the moment the part carrying it was in."""

    def __init__(self, endpoint: str, sub_id: str) -> None:
        self.arrived: queue.Queue = queue.Queue()
        self.response = requests.post(endpoint, data=envelope(
            f"<m:GetStreamingEvents><m:SubscriptionIds><t:SubscriptionId>{sub_id}</t:SubscriptionId>"
            "</m:SubscriptionIds><m:ConnectionTimeout>30</m:ConnectionTimeout></m:GetStreamingEvents>",
            "Exchange2013"), auth=ALEX, headers={"Content-Type": "text/xml; charset=utf-8"}, stream=True, timeout=60)
        self.opened = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        if not self.opened.wait(30):
            raise RuntimeError("the stream did not open")

    def _read(self) -> None:
        buffer = b""
        try:
            for chunk in self.response.iter_content(chunk_size=None):
                now = time.monotonic()
                buffer += chunk
                while (end := buffer.find(b"</s:Envelope>")) != -1:
                    end += len(b"</s:Envelope>")
                    doc, buffer = buffer[:end], buffer[end:]
                    self.opened.set()
                    for event in etree.fromstring(doc).iterfind(".//m:Notification/*", namespaces=NS):
                        kind = etree.QName(event).localname
                        item = event.find("t:ItemId", namespaces=NS)
                        if kind.endswith("Event") and item is not None:
                            self.arrived.put((kind, item.get("Id"), now))
        except Exception:  # noqa: BLE001 (closed: requests and urllib3 raise what they raise)
            pass

    def until(self, kind: str, item_id: str, timeout: float = 30.0) -> float:
        deadline = time.monotonic() + timeout
        while True:
            got_kind, got_id, at = self.arrived.get(timeout=max(0.0, deadline - time.monotonic()))
            if (got_kind, got_id) == (kind, item_id):
                return at

    def close(self) -> None:
        self.response.close()


def measure(endpoints: list[str], rounds: int) -> dict[str, list[float]]:
    on_stream, writer = Soap(endpoints[0], *ALEX), Soap(endpoints[-1], *ALEX)
    answer = on_stream.call('<m:Subscribe><m:StreamingSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId '
                            'Id="drafts"/></t:FolderIds><t:EventTypes><t:EventType>CreatedEvent</t:EventType>'
                            "<t:EventType>ModifiedEvent</t:EventType></t:EventTypes>"
                            "</m:StreamingSubscriptionRequest></m:Subscribe>")
    sub_id = answer.first("//m:SubscriptionId").text
    stream = Stream(endpoints[0], sub_id)
    times: dict[str, list[float]] = {op: [] for op in OPS}
    try:
        for n in range(rounds):
            time.sleep(0.1 + 0.3 * ((n * 7) % 11) / 10)  # 0.1 .. 0.4 s, in no step with a poll
            made = writer.call('<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message>'
                               f"<t:Subject>Draft {n}</t:Subject></t:Message></m:Items></m:CreateItem>")
            answered = time.monotonic()
            assert made.response_codes == ["NoError"], made.content
            item = made.first("//t:Message/t:ItemId")
            times["CreateItem"].append(stream.until("CreatedEvent", item.get("Id")) - answered)
            time.sleep(0.1 + 0.3 * ((n * 5) % 11) / 10)
            changed = writer.call(
                '<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges>'
                f'<t:ItemChange><t:ItemId Id="{item.get("Id")}" ChangeKey="{item.get("ChangeKey")}"/><t:Updates>'
                '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message>'
                f"<t:Subject>Draft {n}, renamed</t:Subject></t:Message></t:SetItemField></t:Updates>"
                "</t:ItemChange></m:ItemChanges></m:UpdateItem>")
            answered = time.monotonic()
            assert changed.response_codes == ["NoError"], changed.content
            times["UpdateItem"].append(stream.until("ModifiedEvent", item.get("Id")) - answered)
    finally:
        stream.close()
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20, help="changes of each kind per configuration (default 20)")
    ap.add_argument("--pg-url", help="a PostgreSQL server of your own (default: a throwaway one)")
    ap.add_argument("--skip-postgresql", action="store_true")
    ap.add_argument("--base-port", type=int, default=0, help="emulators listen from this port up (default: free)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    global _ports
    if args.base_port:
        _ports = iter(range(args.base_port, args.base_port + 100))
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        stores = [("sqlite", lambda label: str(Path(tmp) / f"{label}.sqlite3"))]
        if not args.skip_postgresql:
            url = args.pg_url or stack.enter_context(PgServer()).url
            stores.append(("postgresql", lambda label: fresh_schema(url, prefix="bench_stream")[1]))
        for backend, new_store in stores:
            for processes in (1, 2):
                for mode, env in MODES.items():
                    label = f"{backend}_{processes}_{mode}"
                    store = new_store(label)
                    with ExitStack() as running:
                        endpoints = [running.enter_context(serving(store, env)) for _ in range(processes)]
                        times = measure(endpoints, args.rounds)
                    for op, values in times.items():
                        row = {"store": backend, "writer": "same process" if processes == 1 else "other process",
                               "mode": mode, "op": op, "median_ms": 1000 * statistics.median(values),
                               "p90_ms": 1000 * sorted(values)[int(0.9 * (len(values) - 1))],
                               "max_ms": 1000 * max(values), "n": len(values)}
                        results.append(row)
                        print(f"  {backend:<10} {row['writer']:<13} {mode:<7} {op:<10} median "
                              f"{row['median_ms']:7.1f} ms  p90 {row['p90_ms']:7.1f} ms  max {row['max_ms']:7.1f} ms",
                              flush=True)
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def print_table(results: list[dict]) -> None:
    def key(r: dict) -> tuple:
        return r["store"], r["writer"], r["op"]

    polling = {key(r): r for r in results if r["mode"] == "polling"}
    print()
    print("| store | change made through | call | polling median ms (p90) | signal median ms (p90) | polling / signal |")
    print("|---|---|---|---|---|---|")
    for r in results:
        if r["mode"] != "signal" or key(r) not in polling:
            continue
        p = polling[key(r)]
        ratio = p["median_ms"] / r["median_ms"] if r["median_ms"] > 0 else float("inf")
        print(f"| {r['store']} | {r['writer']} | {r['op']} | {p['median_ms']:.1f} ({p['p90_ms']:.1f}) | "
              f"{r['median_ms']:.1f} ({r['p90_ms']:.1f}) | {ratio:.1f}x |")


if __name__ == "__main__":
    sys.exit(main())
