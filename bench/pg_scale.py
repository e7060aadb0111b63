"""Latency as a PostgreSQL store grows to millions of items across thousands of mailboxes.

    python bench/pg_scale.py [--sizes 10000,1000000,10000000] [--per-mailbox 1000] [--repeat 60]

Every mailbox's calendar holds --per-mailbox appointments (twenty half-hour ones a day),
so a size of N items is N / per-mailbox mailboxes: 10 at 10k, 1,000 at 1M, 10,000 at
10M. The store grows in stages on one database: each stage seeds the new mailboxes with
`ews-propose seed --mailboxes` (COPY, one transaction, progress on stderr), then one
`ews-propose serve` on the store (the directory of every mailbox) is timed over
keep-alive HTTP: a FindItem CalendarView of one day (20 items, Default shape) and a
GetUserAvailability of ten mailboxes over one week (DetailedMerged, 1,400 events). Each
request asks about other mailboxes, spread over all of them (so the reads are not of a
few hot pages). Prints p50 / p99 per size, the seeding rate, the table size on disk,
and the largest / smallest ratio. PostgreSQL is tests/pg_server.py's throwaway server
(its data directory in /tmp, removed at the end) unless --pg-url names one.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ews_propose.testing.postgresql import with_search_path  # noqa: E402
from tests.ews import UTC_ZONE, envelope  # noqa: E402
from tests.pg_server import PgServer  # noqa: E402

FIRST_DAY = date(2030, 1, 7)
PER_DAY = 20



def mailbox(n: int) -> tuple[str, str]:
    return f"user{n:05d}@contoso.com", f"pw{n}"


def directory(path: Path, first: int, last: int) -> Path:
    path.write_text("".join(f'[[mailbox]]\nsmtp = "{mailbox(n)[0]}"\nname = "User {n}"\npassword = "{mailbox(n)[1]}"\n\n'
                            for n in range(first, last)))
    return path


def seed_stage(store: str, work: Path, first: int, last: int, per_mailbox: int) -> dict:
    items = (last - first) * per_mailbox
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "ews_propose", "seed", "--items", str(items),
                          "--mailboxes", str(last - first), "--directory",
                          str(directory(work / f"stage-{first}.toml", first, last)), "--store", store,
                          "--start", FIRST_DAY.isoformat(), "--per-day", str(PER_DAY)],
                         stderr=None, stdout=subprocess.PIPE, text=True, check=True)
    seconds = time.perf_counter() - started
    print(f"  {run.stdout.strip()}", flush=True)
    return {"items": items, "seconds": seconds, "rate": items / seconds}


def view(day: date) -> bytes:
    return envelope(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        f'<m:CalendarView StartDate="{day}T00:00:00Z" EndDate="{day + timedelta(days=1)}T00:00:00Z"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')


def availability(addresses: list[str], day: date) -> bytes:
    boxes = "".join(f"<t:MailboxData><t:Email><t:Address>{a}</t:Address></t:Email>"
                    "<t:AttendeeType>Required</t:AttendeeType></t:MailboxData>" for a in addresses)
    return envelope(
        f"<m:GetUserAvailabilityRequest>{UTC_ZONE}"
        f"<m:MailboxDataArray>{boxes}</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow>"
        f"<t:StartTime>{day}T00:00:00Z</t:StartTime><t:EndTime>{day + timedelta(days=7)}T00:00:00Z</t:EndTime>"
        "</t:TimeWindow><t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes>"
        "<t:RequestedView>DetailedMerged</t:RequestedView></t:FreeBusyViewOptions></m:GetUserAvailabilityRequest>")


def timed(calls: list[tuple[bytes, tuple[str, str], int]], endpoint: str) -> tuple[float, float]:
    """p50 and p99 in ms; each call is checked: NoError and the expected count of items or events."""
    session = requests.Session()
    samples = []
    for n, (body, auth, expected) in enumerate(calls):
        t = time.perf_counter()
        answer = session.post(endpoint, data=body, auth=auth, headers={"Content-Type": "text/xml"}, timeout=120)
        elapsed = (time.perf_counter() - t) * 1000
        found = answer.content.count(b"<t:CalendarItem>") + answer.content.count(b"<t:CalendarEvent>")
        assert answer.status_code == 200 and b'ResponseClass="Error"' not in answer.content and found == expected, \
            (found, expected, answer.content[:400])
        if n >= 3:  # the first few warm the connection and the server's caches
            samples.append(elapsed)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def measure(store: str, work: Path, mailboxes: int, per_mailbox: int, repeat: int, port: int) -> dict:
    day = FIRST_DAY + timedelta(days=per_mailbox // PER_DAY // 2)  # the middle of every calendar
    stride = 7919  # a prime: successive requests land on mailboxes far apart
    views = [(view(day), mailbox(n * stride % mailboxes), PER_DAY) for n in range(repeat + 3)]
    weeks = []
    for n in range(repeat + 3):
        chosen = [mailbox((n * 10 + k) * stride % mailboxes)[0] for k in range(10)]
        weeks.append((availability(chosen, day), mailbox(0), len(set(chosen)) * PER_DAY * 7))
    everyone = directory(work / "directory.toml", 0, mailboxes)
    # The banner names every mailbox: to a file (a pipe left unread fills and stops the server).
    banner = work / "serve.out"
    with open(banner, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ews_propose", "serve", "--port", str(port), "--store",
                                 store, "--directory", str(everyone)], stdout=out, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"(http://\S+/EWS/Exchange\.asmx)", banner.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        endpoint = found.group(1)
        view_ms = timed(views, endpoint)
        week_ms = timed(weeks, endpoint)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    return {"view_p50": view_ms[0], "view_p99": view_ms[1], "avail_p50": week_ms[0], "avail_p99": week_ms[1]}


def table_mb(url: str) -> float:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT pg_total_relation_size('items')").fetchone()[0] / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,1000000,10000000")
    ap.add_argument("--per-mailbox", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=60)
    ap.add_argument("--pg-url", help="a PostgreSQL server of your own (default: a throwaway one)")
    ap.add_argument("--pg-port", type=int, default=None)
    ap.add_argument("--port", type=int, default=0, help="the emulator's port (default: a free one)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        base = args.pg_url or stack.enter_context(PgServer(args.pg_port)).url
        import psycopg

        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS bench_scale CASCADE")
            conn.execute("CREATE SCHEMA bench_scale")
        store = with_search_path(base, "bench_scale")
        seeded = 0
        try:
            for size in sizes:
                mailboxes = size // args.per_mailbox
                stage = seed_stage(store, work, seeded, mailboxes, args.per_mailbox)
                seeded = mailboxes
                with psycopg.connect(store, autocommit=True) as conn:
                    conn.execute("ANALYZE items")
                figures = measure(store, work, mailboxes, args.per_mailbox, args.repeat, args.port)
                rows.append({"size": size, "mailboxes": mailboxes, "table_mb": table_mb(store),
                             "seed_rate": stage["rate"], "seed_items": stage["items"], **figures})
                print(f"  {rows[-1]}", flush=True)
        finally:
            if not args.pg_url:
                pass  # the throwaway server and its directory go with the stack
            else:
                with psycopg.connect(base, autocommit=True) as conn:
                    conn.execute("DROP SCHEMA IF EXISTS bench_scale CASCADE")
    print()
    print("| items | mailboxes | items table MB | seeded (items, items/s) | CalendarView (1 day) p50 / p99 ms | "
          "GetUserAvailability (10 mailboxes, 1 week) p50 / p99 ms |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']:,} | {r['mailboxes']:,} | {r['table_mb']:,.0f} | {r['seed_items']:,} at "
              f"{r['seed_rate']:,.0f}/s | {r['view_p50']:.1f} / {r['view_p99']:.1f} | "
              f"{r['avail_p50']:.1f} / {r['avail_p99']:.1f} |")
    first, last = rows[0], rows[-1]
    print(f"\n{last['size']:,} / {first['size']:,} p50 latency ratio: CalendarView "
          f"{last['view_p50'] / first['view_p50']:.2f}, GetUserAvailability "
          f"{last['avail_p50'] / first['avail_p50']:.2f} (target <= 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
