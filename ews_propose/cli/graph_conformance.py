"""``ews-propose conformance --graph URL``: the propose-new-time checks over Microsoft
Graph. Tokens are read from environment variables, never from the command line."""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console

from ..conformance import junit
from ..conformance.checks import PROJECT_DECISION
from ..conformance.graph import GRAPH_CHECKS, GraphTarget, graph_by_id, run_graph_suite
from ..conformance.report import render
from ..conformance.run import SetupError
from ._common import EXIT_USAGE

EXIT_FAILED = 1


def graph_command(args: argparse.Namespace, console: Console) -> int:
    if args.list:
        for c in GRAPH_CHECKS:
            basis = " (project decision)" if c.basis == PROJECT_DECISION else ""
            console.print(f"{c.id:<40} {c.title}{basis}")
        return 0
    missing = [f"--{n}" for n in ("organizer", "attendee") if not getattr(args, n)]
    if missing:
        print(f"ews-propose conformance: {', '.join(missing)} required", file=sys.stderr)
        return EXIT_USAGE
    if args.organizer.lower() == args.attendee.lower():
        print("ews-propose conformance: --organizer and --attendee must be different mailboxes", file=sys.stderr)
        return EXIT_USAGE
    try:
        checks = graph_by_id(args.check) if args.check else None
    except KeyError as exc:
        print(f"ews-propose conformance: unknown check(s): {exc.args[0]} (see --graph URL --list)", file=sys.stderr)
        return EXIT_USAGE
    tokens = {}
    for who, var in (("organizer", args.organizer_token_env), ("attendee", args.attendee_token_env)):
        value = os.environ.get(var)
        if not value:
            print(f"ews-propose conformance: the {who}'s token: environment variable {var} is not set",
                  file=sys.stderr)
            return EXIT_USAGE
        tokens[who] = value
    verify: bool | str = False if args.insecure else (args.ca_bundle or True)
    target = GraphTarget(args.graph, args.organizer, args.attendee, tokens["organizer"], tokens["attendee"],
                         verify=verify, wait_seconds=args.wait)
    console.print(f"ews-propose conformance (Graph) against {args.graph}")
    try:
        report = run_graph_suite(target, checks, on_result=lambda r: console.print(
            f"  {r.status:<5} {r.check.id} ({r.seconds:.1f}s)"))
    except SetupError as exc:
        print(f"ews-propose conformance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    render(report, console)
    if args.junit:
        junit.write(report, args.junit)
        console.print(f"JUnit XML: {args.junit}")
    return 0 if report.ok else EXIT_FAILED
