"""``ews-propose check --store PATH|URL``: a store's meeting invariants and an integrity
check (SQLite's own for a file; for PostgreSQL, that each row's indexed columns agree
with its record), one line per finding; exit status 0 when there is none, 1 when there
are findings, 2 when the store cannot be read."""

from __future__ import annotations

import argparse
import sys

from ..rules.invariants import check_items
from ..store import StoreError, describe, read_for_check
from ._common import EXIT_USAGE
from .serve import default_store_path


def register(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check", help="verify a store's meeting invariants and integrity")
    check.add_argument("--store", metavar="PATH|URL", default=None,
                       help=f"SQLite store file (default {default_store_path()}) or postgresql:// URL; "
                       "only read, never changed")
    check.set_defaults(run=check_command)


def check_command(args: argparse.Namespace) -> int:
    location = args.store or default_store_path()
    path = describe(location)
    try:
        integrity, items, unreadable = read_for_check(location)
    except StoreError as exc:
        print(f"ews-propose: {exc}", file=sys.stderr)
        return EXIT_USAGE
    findings = [f"integrity: {line}" for line in integrity] + unreadable
    meeting_findings, meetings = check_items(items)
    findings += meeting_findings
    for line in findings:
        print(f"{path}: {line}")
    if findings:
        print(f"ews-propose check: {len(findings)} finding(s) in {path}", file=sys.stderr)
        return 1
    print(f"{path}: ok ({len(items)} items, {meetings} meetings; integrity ok)")
    return 0
