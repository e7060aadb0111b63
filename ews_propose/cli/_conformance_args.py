"""What both conformance commands (EWS and ``--graph``) read from their arguments the same
way: the check list, the two mailboxes, the chosen checks, secrets from the environment,
and how a finished report is shown."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Sequence

from rich.console import Console

from ..conformance import junit
from ..conformance.checks import PROJECT_DECISION
from ..conformance.report import render

PREFIX = "ews-propose conformance"
EXIT_FAILED = 1


class UsageProblem(Exception):
    """A mistake in the command line: said in one line, exit 2."""


def print_list(console: Console, checks: Iterable, width: int) -> None:
    for c in checks:
        basis = " (project decision)" if c.basis == PROJECT_DECISION else ""
        console.print(f"{c.id:<{width}} {c.title}{basis}")


def chosen_checks(args: argparse.Namespace, required: Sequence[str], by_id: Callable, list_hint: str):
    """The checks ``--check`` names (None: all), once the required options are there and the
    two mailboxes differ."""
    missing = [f"--{n}" for n in required if not getattr(args, n)]
    if missing:
        raise UsageProblem(f"{', '.join(missing)} required")
    if args.organizer.lower() == args.attendee.lower():
        raise UsageProblem("--organizer and --attendee must be different mailboxes")
    try:
        return by_id(args.check) if args.check else None
    except KeyError as exc:
        raise UsageProblem(f"unknown check(s): {exc.args[0]} (see {list_hint})") from None


def secrets_from_env(what: str, variables: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``{who: value}`` for each (who, environment variable); never from the command line."""
    found = {}
    for who, var in variables:
        value = os.environ.get(var)
        if not value:
            raise UsageProblem(f"the {who}'s {what}: environment variable {var} is not set")
        found[who] = value
    return found


def verify_of(args: argparse.Namespace) -> bool | str:
    return False if args.insecure else (args.ca_bundle or True)


def usage(problem: Exception) -> None:
    print(f"{PREFIX}: {problem}", file=sys.stderr)


def finish(report, args: argparse.Namespace, console: Console) -> int:
    render(report, console)
    if args.junit:
        junit.write(report, args.junit)
        console.print(f"JUnit XML: {args.junit}")
    return 0 if report.ok else EXIT_FAILED
