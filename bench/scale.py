"""How the emulator's cost grows with mailbox size.

    python bench/scale.py [--sizes 10000,100000,1000000] [--repeat 40]

For each size N it writes a store (the rows of the store's put, bulk-loaded as `ews-propose seed` does):
Alex's calendar holds N items and nine other mailboxes N/10 each, twenty half-hour
meetings a day. It then starts `ews-propose serve` on that store and times, over
keep-alive HTTP, a FindItem CalendarView of one day in Alex's calendar (twenty items,
Default shape) and a GetUserAvailability of all ten mailboxes over one week
(DetailedMerged). Prints median and p99 latency per size, the largest/smallest ratio,
and the server's peak resident memory (VmHWM) after the queries at each size.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ews_propose.cli.seed import Plan, seed_store  # noqa: E402
from ews_propose.directory import Mailbox  # noqa: E402
from ews_propose.store import SqliteStore  # noqa: E402
from tests.ews import UTC_ZONE, envelope  # noqa: E402

PER_DAY = 20
START = datetime(2000, 1, 3, tzinfo=UTC)
OTHERS = [f"user{n}@contoso.com" for n in range(9)]
ALEX = "AlexW@contoso.com"


def directory_file(path: Path) -> Path:
    lines = [f'[[mailbox]]\nsmtp = "{ALEX}"\nname = "Alex Wilber"\npassword = "alex-demo-pw"\n']
    lines += [f'[[mailbox]]\nsmtp = "{s}"\nname = "User {n}"\npassword = "pw{n}"\n' for n, s in enumerate(OTHERS)]
    path.write_text("\n".join(lines))
    return path


def fill(store_path: Path, size: int) -> float:
    """Write the calendars with the seed command's bulk load (one transaction, one
    executemany); return seconds taken."""
    started = time.perf_counter()
    created = START
    plans = [Plan(Mailbox(ALEX, "Alex Wilber", "alex-demo-pw"), size, START + timedelta(hours=8), PER_DAY, created)]
    plans += [Plan(Mailbox(o, f"User {n}", f"pw{n}"), size // 10, START + timedelta(hours=8), PER_DAY, created)
              for n, o in enumerate(OTHERS)]
    with SqliteStore(str(store_path)) as store:
        seed_store(store, plans)
    return time.perf_counter() - started


def timed(session: requests.Session, endpoint: str, auth, body: bytes, repeat: int) -> tuple[float, float]:
    for _ in range(3):  # warm up
        answer = session.post(endpoint, data=body, auth=auth, headers={"Content-Type": "text/xml"}, timeout=60)
        assert answer.status_code == 200 and b"NoError" in answer.content, answer.content[:300]
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        session.post(endpoint, data=body, auth=auth, headers={"Content-Type": "text/xml"}, timeout=60)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def measure(size: int, repeat: int, work: Path) -> dict:
    store = work / f"store-{size}.sqlite3"
    fill_s = fill(store, size)
    day = START + timedelta(days=(size // 10) // PER_DAY // 2)  # the middle of the smaller calendars
    view = envelope(
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>'
        f'<m:CalendarView StartDate="{day:%Y-%m-%dT00:00:00Z}" EndDate="{day + timedelta(days=1):%Y-%m-%dT00:00:00Z}"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>')
    mailboxes = "".join(f"<t:MailboxData><t:Email><t:Address>{a}</t:Address></t:Email>"
                        "<t:AttendeeType>Required</t:AttendeeType></t:MailboxData>" for a in [ALEX, *OTHERS])
    week = envelope(
        f"<m:GetUserAvailabilityRequest>{UTC_ZONE}"
        f"<m:MailboxDataArray>{mailboxes}</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow>"
        f"<t:StartTime>{day:%Y-%m-%dT00:00:00Z}</t:StartTime>"
        f"<t:EndTime>{day + timedelta(days=7):%Y-%m-%dT00:00:00Z}</t:EndTime></t:TimeWindow>"
        "<t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes>"
        "<t:RequestedView>DetailedMerged</t:RequestedView></t:FreeBusyViewOptions></m:GetUserAvailabilityRequest>")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ews_propose", "serve", "--port", "0", "--store", str(store),
         "--directory", str(directory_file(work / "directory.toml"))],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        endpoint = re.search(r"(http://\S+/EWS/Exchange\.asmx)", proc.stdout.readline()).group(1)
        session = requests.Session()
        auth = (ALEX, "alex-demo-pw")
        view_ms = timed(session, endpoint, auth, view, repeat)
        week_ms = timed(session, endpoint, auth, week, repeat)
        items_seen = session.post(endpoint, data=view, auth=auth, timeout=60).content.count(b"<t:CalendarItem>")
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    return {"size": size, "fill_s": fill_s, "store_mb": store.stat().st_size / 2**20, "view_items": items_seen,
            "view_p50": view_ms[0], "view_p99": view_ms[1], "avail_p50": week_ms[0], "avail_p99": week_ms[1],
            "peak_rss_mb": rss}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=40)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as tmp:
        for size in sizes:
            rows.append(measure(size, args.repeat, Path(tmp)))
            print(f"  {rows[-1]}", flush=True)
    print()
    print("| calendar items | rows | seeded in s (rows/s) | store MB | CalendarView (1 day) p50 / p99 ms | GetUserAvailability "
          "(10 mailboxes, 1 week) p50 / p99 ms | server peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        rows_n = r["size"] + 9 * (r["size"] // 10)
        print(f"| {r['size']:,} | {rows_n:,} | {r['fill_s']:.1f} ({rows_n / r['fill_s']:,.0f}/s) | {r['store_mb']:.0f} | {r['view_p50']:.1f} / {r['view_p99']:.1f} | "
              f"{r['avail_p50']:.1f} / {r['avail_p99']:.1f} | {r['peak_rss_mb']:.0f} |")
    first, last = rows[0], rows[-1]
    print(f"\n{last['size']:,} / {first['size']:,} latency ratio: CalendarView "
          f"{last['view_p50'] / first['view_p50']:.2f}, GetUserAvailability "
          f"{last['avail_p50'] / first['avail_p50']:.2f} (target <= 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
