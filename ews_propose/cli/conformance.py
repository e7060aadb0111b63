"""``ews-propose conformance``: run the conformance checks against an EWS endpoint.

Passwords are read from environment variables named by options, never from the
command line, so they stay out of shell history and CI logs.
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ..conformance.checks import CHECKS, by_id
from ..conformance.run import SetupError, Target
from ..conformance.runner import run_suite
from ._common import EXIT_USAGE
from ._conformance_args import (
    UsageProblem,
    chosen_checks,
    finish,
    print_list,
    secrets_from_env,
    usage,
    verify_of,
)

DEFAULT_ORGANIZER_ENV = "EWS_ORGANIZER_PASSWORD"
DEFAULT_ATTENDEE_ENV = "EWS_ATTENDEE_PASSWORD"



def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "conformance", help="run the propose-new-time conformance checks against an EWS endpoint",
        description="Run named checks of the propose-new-time workflow against any EWS endpoint "
        "(raw SOAP, HTTP Basic). Creates meetings whose subjects carry a run id and deletes them "
        "from both mailboxes afterwards. Exit status: 0 all checks passed or were skipped, "
        "1 a check failed or errored (or cleanup left items), 2 the run could not start.")
    p.add_argument("--endpoint", metavar="URL", help="EWS URL, e.g. https://mail.example.com/EWS/Exchange.asmx")
    p.add_argument("--organizer", metavar="SMTP", help="the organizer's mailbox")
    p.add_argument("--attendee", metavar="SMTP", help="the attendee's mailbox (not the organizer)")
    p.add_argument("--password-env", metavar="VAR",
                   help="environment variable holding one password for both mailboxes")
    p.add_argument("--organizer-password-env", metavar="VAR", default=None,
                   help=f"environment variable holding the organizer's password (default {DEFAULT_ORGANIZER_ENV})")
    p.add_argument("--attendee-password-env", metavar="VAR", default=None,
                   help=f"environment variable holding the attendee's password (default {DEFAULT_ATTENDEE_ENV})")
    p.add_argument("--organizer-login", metavar="USER", help="Basic-auth user name if not the SMTP address "
                   r"(e.g. DOMAIN\user)")
    p.add_argument("--attendee-login", metavar="USER", help="Basic-auth user name if not the SMTP address")
    p.add_argument("--graph", metavar="URL", help="run the Graph checks instead, against this service root "
                   "(e.g. https://graph.microsoft.com/v1.0); tokens from --organizer-token-env / --attendee-token-env")
    p.add_argument("--organizer-token-env", metavar="VAR", default="GRAPH_ORGANIZER_TOKEN",
                   help="with --graph: environment variable holding the organizer's bearer token "
                   "(default GRAPH_ORGANIZER_TOKEN)")
    p.add_argument("--attendee-token-env", metavar="VAR", default="GRAPH_ATTENDEE_TOKEN",
                   help="with --graph: environment variable holding the attendee's bearer token "
                   "(default GRAPH_ATTENDEE_TOKEN)")
    p.add_argument("--junit", metavar="FILE", help="also write JUnit XML to FILE")
    p.add_argument("--check", metavar="ID", action="append", default=None,
                   help="run only this check (repeatable; see --list)")
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    p.add_argument("--wait", type=_positive, default=60.0, metavar="SECONDS",
                   help="how long to wait for a delivery or update to show (default 60)")
    p.add_argument("--connect-wait", type=_positive, default=15.0, metavar="SECONDS",
                   help="how long to retry a refused connection at the start, for a server that is "
                   "still starting (default 15)")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--ca-bundle", metavar="FILE", help="CA bundle to verify the server's certificate")
    tls.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate")
    p.set_defaults(run=conformance_command)


def conformance_command(args: argparse.Namespace) -> int:
    console = Console(width=None if sys.stdout.isatty() else 200, highlight=False)
    if args.graph:
        from .graph_conformance import graph_command

        return graph_command(args, console)
    if args.list:
        print_list(console, CHECKS, 34)
        return 0
    try:
        checks = chosen_checks(args, ("endpoint", "organizer", "attendee"), by_id, "--list")
        passwords = secrets_from_env("password", (
            ("organizer", args.organizer_password_env or args.password_env or DEFAULT_ORGANIZER_ENV),
            ("attendee", args.attendee_password_env or args.password_env or DEFAULT_ATTENDEE_ENV)))
    except UsageProblem as problem:
        usage(problem)
        return EXIT_USAGE
    verify = verify_of(args)
    target = Target(args.endpoint, args.organizer, args.attendee, passwords["organizer"], passwords["attendee"],
                    organizer_login=args.organizer_login, attendee_login=args.attendee_login,
                    verify=verify, wait_seconds=args.wait, connect_seconds=args.connect_wait)

    console.print(f"ews-propose conformance against {args.endpoint}")
    # On a terminal, a bar under the lines (gone at the end); elsewhere the lines alone.
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal)
    task = bar.add_task("checks", total=len(checks if checks is not None else CHECKS))

    def progress(result) -> None:
        console.print(f"  {result.status:<5} {result.check.id} ({result.seconds:.1f}s)")
        bar.update(task, advance=1, description=f"checks (last: {result.check.id})")

    try:
        with bar:
            report = run_suite(target, checks, on_result=progress)
    except SetupError as exc:
        usage(exc)
        return EXIT_USAGE
    return finish(report, args, console)
