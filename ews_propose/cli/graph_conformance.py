"""``ews-propose conformance --graph URL``: the propose-new-time checks over Microsoft
Graph. Tokens are read from environment variables, never from the command line."""

from __future__ import annotations

import argparse

from rich.console import Console

from ..conformance.graph import GRAPH_CHECKS, GraphTarget, graph_by_id, run_graph_suite
from ..conformance.run import SetupError
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


def graph_command(args: argparse.Namespace, console: Console) -> int:
    if args.list:
        print_list(console, GRAPH_CHECKS, 40)
        return 0
    try:
        checks = chosen_checks(args, ("organizer", "attendee"), graph_by_id, "--graph URL --list")
        tokens = secrets_from_env("token", (("organizer", args.organizer_token_env),
                                            ("attendee", args.attendee_token_env)))
    except UsageProblem as problem:
        usage(problem)
        return EXIT_USAGE
    target = GraphTarget(args.graph, args.organizer, args.attendee, tokens["organizer"], tokens["attendee"],
                         verify=verify_of(args), wait_seconds=args.wait)
    console.print(f"ews-propose conformance (Graph) against {args.graph}")
    try:
        report = run_graph_suite(target, checks, on_result=lambda r: console.print(
            f"  {r.status:<5} {r.check.id} ({r.seconds:.1f}s)"))
    except SetupError as exc:
        usage(exc)
        return EXIT_USAGE
    return finish(report, args, console)
