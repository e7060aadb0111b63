"""The first answers of a new emulator process against its later ones.

    python bench/first_requests.py [--processes 5] [--clients 4] [--calls 6] [--pg-url URL]

A process behind a load balancer takes real traffic from its first request, so what it
has not prepared yet shows up in the fleet's p99. For each of ``--processes`` fresh
``ews-propose serve`` processes (4 threads, a store seeded as bench/wire.py seeds it),
``--clients`` keep-alive clients send ``--calls`` GetItems each at the same moment; the
table has the slowest first answer, the median of the first answers, the median of the
later ones and their ratio. The same run with ``--lax-schema`` (no request validation)
is the baseline: what a process does first whatever it checks. ``--pg-url`` puts the
store on PostgreSQL (a fresh schema there; the pool opens its connections on demand).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.wire import basic, running, seed  # noqa: E402


def fresh_process(store: str, bodies: list[bytes], user, clients: int, calls: int,
                  extra: list[str]) -> list[list[float]]:
    """Milliseconds of each client's calls, in order, on a new serve process."""
    cmd = [sys.executable, "-m", "ews_propose", "serve", "--port", "0", "--store", store, *extra]
    with running(cmd) as endpoint:
        sessions = [requests.Session() for _ in range(clients)]
        headers = {"Content-Type": "text/xml; charset=utf-8", "Authorization": basic(user)}
        go = threading.Barrier(clients)
        times: list[list[float]] = [[] for _ in range(clients)]

        def client(k: int) -> None:
            go.wait()
            for n in range(calls):
                began = time.perf_counter()
                answer = sessions[k].post(endpoint, data=bodies[n % len(bodies)], headers=headers, timeout=60)
                times[k].append((time.perf_counter() - began) * 1000)
                if answer.status_code != 200 or b'ResponseClass="Success"' not in answer.content:
                    raise SystemExit(f"GetItem answered {answer.status_code}: {answer.content[:300]!r}")

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in sessions:
            s.close()
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=5)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--calls", type=int, default=6)
    ap.add_argument("--pg-url", help="a PostgreSQL server (postgresql://...); a fresh schema is made there")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.pg_url:
            from ews_propose.testing.postgresql import drop_schema, fresh_schema
            schema, store = fresh_schema(args.pg_url, prefix="bench_first")
        else:
            store = str(Path(tmp) / "store.sqlite3")
        try:
            with running([sys.executable, "-m", "ews_propose", "serve", "--port", "0", "--store", store]) as ep:
                seeded = seed(ep)
            bodies, user = seeded["bodies"]["GetItem"]
            print("| serve | first answer, slowest ms | first answers, median ms | later answers, median ms "
                  "| first / later |")
            print("|---|---|---|---|---|")
            for label, extra in (("strict (default)", []), ("--lax-schema (baseline)", ["--lax-schema"])):
                firsts, laters = [], []
                for _ in range(args.processes):
                    for run in fresh_process(store, bodies, user, args.clients, args.calls, extra):
                        firsts.append(run[0])
                        laters.extend(run[1:])
                first_median, later_median = statistics.median(firsts), statistics.median(laters)
                print(f"| {label} | {max(firsts):.1f} | {first_median:.1f} | {later_median:.1f} | "
                      f"{first_median / later_median:.1f}x |", flush=True)
        finally:
            if args.pg_url:
                drop_schema(args.pg_url, schema)
    return 0


if __name__ == "__main__":
    sys.exit(main())
