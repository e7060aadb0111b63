"""Which isolation keeps the meeting invariants on PostgreSQL with many writers in several
processes: the store's advisory write lock (READ COMMITTED) against plain SERIALIZABLE.

    .venv/bin/python bench/pg_isolation.py [--rounds N] [--replies N]

Each round: three emulator processes on one database, 100 attendees answer one meeting
at the same moment (tests/test_concurrency.py's workload), then the organizer's side is
read back. SERIALIZABLE cannot be retried inside the store (a workflow step is the body
of ``with store.transaction()``), so each serialization failure is a failed request.
Prints the time of the burst, the failed answers, and whether every answer reached the
organizer (docs/scale-out.md has one run's figures).

Then, as a first look at speed, the rate of replies with a proposal (CreateItem of a
TentativelyAcceptItem with ProposedStart/ProposedEnd) from 4 clients to one emulator
process, on an SQLite file and on PostgreSQL, in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from tests.ews import Soap  # noqa: E402
from tests.mailboxes import LUNCH, ORGANIZER, PROPOSAL, all_ids, attendees, load_directory  # noqa: E402
from tests.pg_server import PgServer  # noqa: E402
from tests.server_process import ServerProcess  # noqa: E402
from tests.stores import URL_ENV, new_schema  # noqa: E402
from tests.test_concurrency import ATTENDEES, answer_all_at_once, invite_everyone, organizer  # noqa: E402

# A server whose store runs every transaction SERIALIZABLE, without the advisory lock.
SERIALIZABLE_SERVER = """
import sys
from contextlib import contextmanager
from ews_propose.directory import Directory
from ews_propose.server import EmulatorServer, ServerConfig
from ews_propose.store.postgresql import PostgresStore, _PgTransaction

url, directory_path = sys.argv[1:3]

class SerializableStore(PostgresStore):
    @contextmanager
    def transaction(self, write=True):
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            try:
                yield _PgTransaction(cur)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")

server = EmulatorServer(ServerConfig(port=0, store=url, threads=4), Directory.load(directory_path),
                        store=SerializableStore(url))
print(f"ews-propose listening on {server.endpoint}", flush=True)
server.serve_forever()
"""


def one_round(mode: str, directory: str) -> dict:
    url = new_schema()
    if mode == "advisory lock":
        procs = [ServerProcess("--store", url, "--directory", directory, "--threads", "4") for _ in range(3)]
    else:
        procs = [ServerProcess(url, directory, python_code=SERIALIZABLE_SERVER) for _ in range(3)]
    try:
        endpoints = [p.endpoint for p in procs]
        meeting_id = invite_everyone(endpoints[0])
        started = time.perf_counter()
        answers = answer_all_at_once(endpoints)
        elapsed = time.perf_counter() - started
        outcome = Counter("ok" if a.status == 200 and a.response_codes == ["NoError"] else f"HTTP {a.status}"
                          for a in answers)
        soap = organizer(endpoints[0])
        found = soap.call(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
            '<m:IndexedPageItemView MaxEntriesReturned="1000" Offset="0" BasePoint="Beginning"/>'
            '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>')
        responses = len(found.xpath("//t:Items/t:MeetingMessage/t:ItemId | //t:Items/t:MeetingResponse/t:ItemId"))
        return dict(seconds=elapsed, outcome=dict(outcome), responses=responses, meeting=meeting_id)
    finally:
        for p in procs:
            p.stop()


def reply_rate(store: str, directory: str, count: int) -> float:
    """Replies with a proposal per second, 4 clients, one process on ``store``."""
    with ServerProcess("--store", store, "--directory", directory, "--threads", "4") as server:
        people = attendees(count)
        Soap(server.endpoint, ORGANIZER[0], ORGANIZER[2]).create_meeting(
            "Rate", *LUNCH, attendees=[smtp for smtp, _, _ in people])
        requests_ = [(smtp, pw, all_ids(Soap(server.endpoint, smtp, pw), "inbox", "MeetingRequest")[0])
                     for smtp, _, pw in people]

        def answer(item: tuple[str, str, str]) -> None:
            smtp, pw, request_id = item
            got = Soap(server.endpoint, smtp, pw).reply(request_id, "TentativelyAcceptItem", proposed=PROPOSAL)
            assert got.response_codes == ["NoError"], got.content[:300]

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(answer, requests_))
        return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replies", type=int, default=300, help="replies for the rate (default 300)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, PgServer() as pg:
        os.environ[URL_ENV] = pg.url
        directory = Path(tmp) / "directory.toml"
        directory.write_text(load_directory(ATTENDEES)[1])
        print(f"{ATTENDEES} simultaneous answers through 3 processes on one PostgreSQL database")
        print(f"{'isolation':<16} {'round':>5} {'burst s':>8} {'answers ok':>10} {'failed':>7} {'reached organizer':>18}")
        for mode in ("advisory lock", "serializable"):
            for n in range(args.rounds):
                r = one_round(mode, str(directory))
                ok = r["outcome"].get("ok", 0)
                print(f"{mode:<16} {n + 1:>5} {r['seconds']:>8.2f} {ok:>10} {ATTENDEES - ok:>7} "
                      f"{r['responses']:>18}", flush=True)
        rates_dir = Path(tmp) / "rates.toml"
        rates_dir.write_text(load_directory(args.replies)[1])
        sqlite = reply_rate(str(Path(tmp) / "rate.sqlite3"), str(rates_dir), args.replies)
        postgresql = reply_rate(new_schema(), str(rates_dir), args.replies)
        print(f"\nCreateItem (reply with a proposal), 4 clients, 1 process, {args.replies} replies:")
        print(f"  SQLite file: {sqlite:7.1f}/s   PostgreSQL: {postgresql:7.1f}/s   ratio {postgresql / sqlite:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
