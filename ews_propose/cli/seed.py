"""``ews-propose seed``: fill calendars with many appointments (for benchmarks and for
trying clients on large calendars), with progress on stderr.

One mailbox (``--mailbox``), or ``--mailboxes M``: the directory's first M mailboxes,
``--items`` spread evenly over them. The rows go in as a bulk load in one transaction
(``put_rows``: COPY on PostgreSQL, one executemany on SQLite); each row is the one the
store's ``put`` writes (store.schema.item_row), made from a per-mailbox template that is
checked against item_row every few hundred items."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..directory import Directory, DirectoryError, Mailbox
from ..rules import ids
from ..rules import model as m
from ..store import StoreError, describe, open_store
from ..store.schema import is_long, item_row
from ._common import EXIT_USAGE
from .serve import default_store_path

BATCH = 20_000  # rows handed to the store at a time (one transaction for all of them)
SLOT_MINUTES = 30
FIRST_SLOT_HOUR = 8
CHECK_EVERY = 499  # every so many rows, the template's row is compared with item_row's
PROGRESS_SECONDS = 2.0  # a progress line on stderr this often when stderr is not a terminal


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
    seed = commands.add_parser("seed", help="fill calendars with N appointments")
    seed.add_argument("--items", type=_positive, required=True, metavar="N", help="how many appointments in all")
    seed.add_argument("--mailbox", default=None,
                      help="whose calendar (default AlexW@contoso.com; not with --mailboxes)")
    seed.add_argument("--mailboxes", type=_positive, default=None, metavar="M",
                      help="spread the appointments evenly over the directory's first M mailboxes")
    seed.add_argument("--store", metavar="PATH|URL", default=None,
                      help=f"SQLite store file, created if missing, or a postgresql:// URL "
                      f"(default {default_store_path()})")
    seed.add_argument("--directory", metavar="FILE", help="TOML file of mailboxes (default: the demo mailboxes)")
    seed.add_argument("--start", type=_day, default=None, metavar="YYYY-MM-DD",
                      help="first day (default: today, UTC)")
    seed.add_argument("--per-day", type=_positive, default=20, metavar="K",
                      help="half-hour appointments a day from 08:00 UTC (default 20, at most 48)")
    seed.set_defaults(run=seed_command)


@dataclass(frozen=True)
class Plan:
    """Whose calendar gets how many appointments, from which day, how many a day."""

    mailbox: Mailbox
    count: int
    origin: datetime  # the first day's first slot
    per_day: int
    created: datetime


def appointment(plan: Plan, n: int) -> m.Item:
    """The n-th (from 0) appointment of a plan, as an Item (what ``put`` would be given)."""
    owner = m.Person(plan.mailbox.smtp, plan.mailbox.name)
    day, slot = divmod(n, plan.per_day)
    start = plan.origin + timedelta(days=day, minutes=SLOT_MINUTES * slot)
    return m.Item(
        id=ids.new_item_id(), mailbox=plan.mailbox.smtp, folder=m.CALENDAR, kind=m.CALENDAR_ITEM,
        change_key=ids.new_change_key(), item_class="IPM.Appointment",
        subject=f"Seeded appointment {n + 1}", created=plan.created, received=plan.created, uid=ids.new_uid(),
        start=start, end=start + timedelta(minutes=SLOT_MINUTES), organizer=owner,
        my_response=m.ORGANIZER, sender=owner, is_read=True)


# Placeholders that JSON keeps as they are, in the template's record.
_MARKS = {"id": "@@ID@@", "change_key": "@@CK@@", "subject": "@@SUBJECT@@", "uid": "@@UID@@",
          "start": "2999-01-01T00:00:00Z", "end": "2999-01-01T00:30:00Z"}


def rows(plan: Plan) -> Iterator[tuple]:
    """The plan's rows of the items table, exactly item_row(appointment(plan, n)).

    item_row encodes the whole record for each item (about 110 us); here the record of
    one template item is encoded once and only the fields that differ are put in, which
    is checked against item_row itself every CHECK_EVERY rows (and for the first)."""
    sample = appointment(plan, 0)
    template = dataclasses.replace(sample, id=_MARKS["id"], change_key=_MARKS["change_key"], subject=_MARKS["subject"],
                         uid=_MARKS["uid"], start=m.parse_utc(_MARKS["start"]), end=m.parse_utc(_MARKS["end"]))
    base = item_row(template)
    data = base[8]
    mailbox, folder, kind, received, unread = base[1], base[2], base[3], base[7], base[9]
    if is_long(template) or not all(mark in data for mark in _MARKS.values()):
        raise RuntimeError("the seed template lost a field: seed through put_many instead")
    per_day, origin, slot = plan.per_day, plan.origin, timedelta(minutes=SLOT_MINUTES)
    fmt = m.format_utc
    for n in range(plan.count):
        day, at = divmod(n, per_day)
        start = origin + timedelta(days=day, minutes=SLOT_MINUTES * at)
        item_id, change_key, uid = ids.new_item_id(), ids.new_change_key(), ids.new_uid()
        subject = f"Seeded appointment {n + 1}"
        first, last = fmt(start), fmt(start + slot)
        record = (data.replace(_MARKS["id"], item_id, 1).replace(_MARKS["change_key"], change_key, 1)
                  .replace(_MARKS["subject"], subject, 1).replace(_MARKS["uid"], uid, 1)
                  .replace(_MARKS["start"], first, 1).replace(_MARKS["end"], last, 1))
        row = (item_id, mailbox, folder, kind, uid, first, last, received, record, unread, 0)
        if n % CHECK_EVERY == 0:
            real = dataclasses.replace(sample, id=item_id, change_key=change_key, subject=subject, uid=uid,
                             start=start, end=start + slot)
            if item_row(real) != row:
                raise RuntimeError(f"seed row {n} differs from the store's own row: {row!r}")
        yield row


def seed_store(store, plans: list[Plan], progress: Callable[[int], None] = lambda done: None) -> int:
    """Write every plan's rows in one write transaction; ``progress`` gets the count so far."""
    done = 0
    with store.transaction() as tx:
        for plan in plans:
            batch = []
            for row in rows(plan):
                batch.append(row)
                if len(batch) == BATCH:
                    done += tx.put_rows(batch)
                    batch = []
                    progress(done)
            if batch:
                done += tx.put_rows(batch)
                progress(done)
    return done


def spread(mailboxes: list[Mailbox], items: int, origin: datetime, per_day: int, created: datetime) -> list[Plan]:
    """``items`` over the mailboxes evenly (the first ones one more when it does not divide)."""
    each, extra = divmod(items, len(mailboxes))
    return [Plan(mb, each + (1 if n < extra else 0), origin, per_day, created)
            for n, mb in enumerate(mailboxes) if each or n < extra]


class _Lines:
    """Progress as a plain line on stderr every PROGRESS_SECONDS (no terminal to draw a bar on)."""

    def __init__(self, total: int) -> None:
        self.total, self.started, self.last = total, time.perf_counter(), 0.0

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if now - self.last < PROGRESS_SECONDS and done < self.total:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        print(f"seeding: {done}/{self.total} items ({100 * done // self.total}%), {rate:,.0f} items/s",
              file=sys.stderr, flush=True)


def seed_command(args: argparse.Namespace) -> int:
    try:
        directory = Directory.load(args.directory) if args.directory else Directory.demo()
    except DirectoryError as exc:
        print(f"ews-propose: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.mailboxes is not None:
        if args.mailbox is not None:
            print("ews-propose: give --mailbox or --mailboxes, not both", file=sys.stderr)
            return EXIT_USAGE
        chosen = list(directory)[: args.mailboxes]
        if len(chosen) < args.mailboxes:
            print(f"ews-propose: --mailboxes {args.mailboxes}: the directory has {len(chosen)} mailboxes",
                  file=sys.stderr)
            return EXIT_USAGE
    else:
        mailbox = directory.get(args.mailbox or "AlexW@contoso.com")
        if mailbox is None:
            print(f"ews-propose: {args.mailbox} is not a mailbox of the directory", file=sys.stderr)
            return EXIT_USAGE
        chosen = [mailbox]
    if args.per_day > 48:
        print("ews-propose: --per-day is at most 48 (half-hour slots in a day)", file=sys.stderr)
        return EXIT_USAGE
    store_path = args.store or default_store_path()
    first = args.start or datetime.now(UTC).date()
    origin = datetime(first.year, first.month, first.day, FIRST_SLOT_HOUR, tzinfo=UTC)
    now = datetime.now(UTC).replace(microsecond=0)
    plans = spread(chosen, args.items, origin, args.per_day, now)
    who = chosen[0].smtp if len(chosen) == 1 else f"{len(chosen)} mailboxes"
    console = Console(stderr=True, highlight=False)
    started = time.perf_counter()
    try:
        store = open_store(store_path)
    except StoreError as exc:
        print(f"ews-propose: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if console.is_terminal:
        bar = Progress(TextColumn("seeding {task.fields[who]}"), BarColumn(), MofNCompleteColumn(),
                       TimeRemainingColumn(), console=console, transient=True)
        task = bar.add_task("seed", total=args.items, who=who)
        with store, bar:
            seed_store(store, plans, lambda done: bar.update(task, completed=done))
    else:
        with store:
            seed_store(store, plans, _Lines(args.items))
    seconds = time.perf_counter() - started
    days = -(-max(p.count for p in plans) // args.per_day)
    whose = f"{chosen[0].smtp}'s Calendar" if len(chosen) == 1 else f"the Calendars of {len(plans)} mailboxes"
    print(f"seeded {args.items} appointments into {whose} over {days} days from {first} "
          f"in {describe(store_path)} ({seconds:.1f}s, {args.items / max(seconds, 1e-9):,.0f} items/s)")
    return 0
