"""Wire figures on PostgreSQL with 1, 2 and 4 emulator processes, against SQLite in the same run.

    python bench/pg_wire.py [--duration 8] [--connections 4] [--processes 1,2,4] [--pg-url URL]

The calls of bench/wire.py (GetItem, FindItem CalendarView of 21 items, CreateItem of a
TentativelyAcceptItem with a proposal, UpdateItem moving the meeting with updates sent):
first on SQLite (`serve --workers 1` and `--workers 2` on one store file), then on one
PostgreSQL database with 1, 2 and 4 separate `ews-propose serve` processes on different
ports. The load is wrk with the connections spread over the processes (one wrk per
process, running at the same moment): req/s is their sum, p50 the mean of their
medians, p99 the largest of their p99s. PostgreSQL is tests/pg_server.py's throwaway
server (fsync off) unless --pg-url names one. Needs wrk.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from wire import answered, basic, running, seed, wrk  # noqa: E402

from ews_propose.testing.postgresql import with_search_path  # noqa: E402
from tests.pg_server import PgServer  # noqa: E402

OPS = ("GetItem", "FindItem", "CreateItem", "UpdateItem")



def new_schema(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{name}"')
    return with_search_path(url, name)


def seed_calls(endpoint: str) -> dict:
    """bench/wire.py's seed (its CreateItem answers a meeting nothing else moves)."""
    return seed(endpoint)


def spread_wrk(endpoints: list[str], bodies, authorization: str, duration: int, connections: int,
               work: Path) -> dict:
    """One wrk per endpoint at once, the connections shared out; the figures combined."""
    share = [connections // len(endpoints) + (1 if n < connections % len(endpoints) else 0)
             for n in range(len(endpoints))]

    def one(n: int) -> dict:
        scratch = work / f"wrk{n}"
        scratch.mkdir(exist_ok=True)
        return wrk(endpoints[n], bodies, authorization, duration, max(1, share[n]), min(2, max(1, share[n])),
                   scratch)

    with ThreadPoolExecutor(len(endpoints)) as pool:
        parts = list(pool.map(one, range(len(endpoints))))
    return {"rps": sum(p["rps"] for p in parts), "p50_ms": sum(p["p50_ms"] for p in parts) / len(parts),
            "p99_ms": max(p["p99_ms"] for p in parts), "errors": sum(p["errors"] for p in parts)}


def measure(label: str, commands: list[list[str]], args, work: Path, results: list) -> None:
    with ExitStack() as stack:
        endpoints = [stack.enter_context(running(cmd)) for cmd in commands]
        seeded = seed_calls(endpoints[0])
        for op, (bodies, user) in seeded["bodies"].items():
            if op not in args.ops.split(","):
                continue
            figures = spread_wrk(endpoints, bodies, basic(user), args.duration, args.connections, work)
            answered(endpoints[-1], bodies[0], user)
            results.append({"store": label, "op": op, **figures})
            print(f"  {label:<22} {op:<10} {figures}", flush=True)


_ports = iter(())


def serve_cmd(store: str, threads: int, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "ews_propose", "serve", "--port", str(next(_ports, 0)), "--store", store,
            "--threads", str(threads), "--workers", str(workers)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=8, help="seconds per measurement (default 8)")
    ap.add_argument("--connections", type=int, default=4, help="keep-alive connections in all (default 4)")
    ap.add_argument("--threads", type=int, default=4, help="server threads per process (default 4)")
    ap.add_argument("--processes", default="1,2,4", help="PostgreSQL emulator process counts (default 1,2,4)")
    ap.add_argument("--sqlite-workers", default="1,2", help="SQLite worker counts (default 1,2)")
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--pg-url", help="a PostgreSQL server of your own (default: a throwaway one)")
    ap.add_argument("--pg-port", type=int, default=None, help="port of the throwaway server (default: a free one)")
    ap.add_argument("--base-port", type=int, default=0,
                    help="emulators listen from this port up (default: free ports)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    global _ports
    if args.base_port:
        _ports = iter(range(args.base_port, args.base_port + 100))
    if shutil.which("wrk") is None:
        print("bench/pg_wire.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        for workers in [int(w) for w in args.sqlite_workers.split(",") if w]:
            measure(f"sqlite, {workers} worker(s)", [serve_cmd(str(work / f"s{workers}.sqlite3"), args.threads,
                                                              workers)], args, work, results)
        url = args.pg_url or stack.enter_context(PgServer(args.pg_port)).url
        for procs in [int(p) for p in args.processes.split(",") if p]:
            store = new_schema(url, f"bench_wire_{procs}")
            measure(f"postgresql, {procs} process(es)", [serve_cmd(store, args.threads) for _ in range(procs)],
                    args, work, results)
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def print_table(results: list[dict]) -> None:
    sqlite1 = {r["op"]: r["rps"] for r in results if r["store"] == "sqlite, 1 worker(s)"}
    sqlite2 = {r["op"]: r["rps"] for r in results if r["store"] == "sqlite, 2 worker(s)"}
    nan = float("nan")
    print()
    print("| store | call | req/s | p50 ms | p99 ms | non-2xx | vs SQLite 1 worker | vs SQLite 2 workers |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['store']} | {r['op']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{r['errors']} | {r['rps'] / sqlite1.get(r['op'], nan):.2f}x | {r['rps'] / sqlite2.get(r['op'], nan):.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
