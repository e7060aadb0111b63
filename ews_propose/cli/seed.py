"""``ews-propose seed``: fill a mailbox's calendar with many appointments (for
benchmarks and for trying clients on a large calendar), with progress on a terminal."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..directory import Directory, DirectoryError
from ..rules import ids
from ..rules import model as m
from ..store import StoreError, describe, open_store
from ._common import EXIT_USAGE
from .serve import default_store_path

BATCH = 10_000  # items per transaction
SLOT_MINUTES = 30
FIRST_SLOT_HOUR = 8


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r} (expected YYYY-MM-DD)") from None


def register(commands: argparse._SubParsersAction) -> None:
    seed = commands.add_parser("seed", help="fill a mailbox's calendar with N appointments")
    seed.add_argument("--items", type=_positive, required=True, metavar="N", help="how many appointments")
    seed.add_argument("--mailbox", default="AlexW@contoso.com", help="whose calendar (default AlexW@contoso.com)")
    seed.add_argument("--store", metavar="PATH|URL", default=None,
                      help=f"SQLite store file, created if missing, or a postgresql:// URL "
                      f"(default {default_store_path()})")
    seed.add_argument("--directory", metavar="FILE", help="TOML file of mailboxes (default: the demo mailboxes)")
    seed.add_argument("--start", type=_day, default=None, metavar="YYYY-MM-DD",
                      help="first day (default: today, UTC)")
    seed.add_argument("--per-day", type=_positive, default=20, metavar="K",
                      help="half-hour appointments a day from 08:00 UTC (default 20, at most 48)")
    seed.set_defaults(run=seed_command)


def seed_command(args: argparse.Namespace) -> int:
    try:
        directory = Directory.load(args.directory) if args.directory else Directory.demo()
    except DirectoryError as exc:
        print(f"ews-propose: {exc}", file=sys.stderr)
        return EXIT_USAGE
    mailbox = directory.get(args.mailbox)
    if mailbox is None:
        print(f"ews-propose: {args.mailbox} is not a mailbox of the directory", file=sys.stderr)
        return EXIT_USAGE
    if args.per_day > 48:
        print("ews-propose: --per-day is at most 48 (half-hour slots in a day)", file=sys.stderr)
        return EXIT_USAGE
    store_path = args.store or default_store_path()
    first = args.start or datetime.now(UTC).date()
    origin = datetime(first.year, first.month, first.day, FIRST_SLOT_HOUR, tzinfo=UTC)
    owner = m.Person(mailbox.smtp, mailbox.name)
    now = datetime.now(UTC).replace(microsecond=0)
    console = Console(stderr=True, highlight=False)
    bar = Progress(TextColumn("seeding {task.fields[who]}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=console, transient=True, disable=not console.is_terminal)
    task = bar.add_task("seed", total=args.items, who=mailbox.smtp)
    started = time.perf_counter()
    try:
        store = open_store(store_path)
    except StoreError as exc:
        print(f"ews-propose: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with store, bar:
        written = 0
        while written < args.items:
            upto = min(args.items, written + BATCH)
            with store.transaction() as tx:
                for n in range(written, upto):
                    day, slot = divmod(n, args.per_day)
                    start = origin + timedelta(days=day, minutes=SLOT_MINUTES * slot)
                    tx.put(m.Item(
                        id=ids.new_item_id(), mailbox=mailbox.smtp, folder=m.CALENDAR, kind=m.CALENDAR_ITEM,
                        change_key=ids.new_change_key(), item_class="IPM.Appointment",
                        subject=f"Seeded appointment {n + 1}", created=now, received=now, uid=ids.new_uid(),
                        start=start, end=start + timedelta(minutes=SLOT_MINUTES), organizer=owner,
                        my_response=m.ORGANIZER, sender=owner, is_read=True))
            bar.update(task, advance=upto - written)
            written = upto
    days = -(-args.items // args.per_day)
    print(f"seeded {args.items} appointments into {mailbox.smtp}'s Calendar over {days} days from {first} "
          f"in {describe(store_path)} ({time.perf_counter() - started:.1f}s)")
    return 0
