"""``ews-propose proposals | accept-proposal | decline-proposal | propose``: the client
library from the command line. EWS_ENDPOINT / EWS_USER / EWS_PASSWORD (or EWS_TOKEN)
are the defaults of --endpoint / --user / --password (--token)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from ..client import Availability, EwsClient, EwsClientError
from ..client.times import parse_aware
from ._common import EXIT_USAGE

EXIT_FAILED = 1


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ") if value else "?"


def _span(start: datetime | None, end: datetime | None) -> str:
    """Times are shown in UTC, as they travel: one unambiguous clock for every reader."""
    if start and end and start.astimezone(UTC).date() == end.astimezone(UTC).date():
        return f"{_when(start)}-{end.astimezone(UTC).strftime('%H:%MZ')}"
    return f"{_when(start)} - {_when(end)}"


def _connection_flags(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument("--endpoint", default=env("EWS_ENDPOINT"),
                        help="EWS URL, e.g. http://127.0.0.1:8765/EWS/Exchange.asmx (env EWS_ENDPOINT)")
    parser.add_argument("--user", default=env("EWS_USER"), help="mailbox SMTP address (env EWS_USER)")
    parser.add_argument("--password", default=env("EWS_PASSWORD"), help="password (env EWS_PASSWORD)")
    parser.add_argument("--token", default=env("EWS_TOKEN"),
                        help="bearer token instead of user/password (env EWS_TOKEN)")
    parser.add_argument("--schema-version", default="Exchange2013",
                        help="RequestServerVersion to send (default Exchange2013)")


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("proposals", help="the organizer's open proposals, with availability")
    _connection_flags(p)
    p.add_argument("--all", action="store_true", help="also show proposals that are no longer open")
    p.set_defaults(run=_guarded(proposals_command))

    p = commands.add_parser("accept-proposal", help="move the meeting to a proposal's time")
    _connection_flags(p)
    p.add_argument("id", metavar="ID", help="the MeetingResponse id (from `ews-propose proposals`)")
    p.set_defaults(run=_guarded(accept_command))

    p = commands.add_parser("decline-proposal", help="keep the meeting, tell the attendee")
    _connection_flags(p)
    p.add_argument("id", metavar="ID", help="the MeetingResponse id (from `ews-propose proposals`)")
    p.add_argument("--comment", default="", help="text for the attendee")
    p.set_defaults(run=_guarded(decline_command))

    p = commands.add_parser("propose", help="answer a meeting request with a new time")
    _connection_flags(p)
    p.add_argument("item_id", metavar="ITEM_ID", help="the MeetingRequest id")
    p.add_argument("--start", required=True, help="proposed start, ISO 8601 with zone (…Z or +01:00)")
    p.add_argument("--end", required=True, help="proposed end, ISO 8601 with zone")
    answer = p.add_mutually_exclusive_group()
    answer.add_argument("--accept", dest="response", action="store_const", const="accept")
    answer.add_argument("--tentative", dest="response", action="store_const", const="tentative")
    answer.add_argument("--decline", dest="response", action="store_const", const="decline")
    p.add_argument("--comment", default="", help="text for the organizer")
    p.add_argument("--fallback-email", action="store_true",
                   help="if the server or meeting cannot take a proposal, e-mail the organizer instead")
    p.set_defaults(run=_guarded(propose_command), response="tentative")


class UsageError(Exception):
    pass


def _guarded(command: Callable[[argparse.Namespace, Console], int]) -> Callable[[argparse.Namespace], int]:
    """Expected failures print one line and exit non-zero; no tracebacks."""

    def run(args: argparse.Namespace) -> int:
        out = Console()
        try:
            return command(args, out)
        except UsageError as exc:
            print(f"ews-propose {args.command}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except (EwsClientError, ValueError) as exc:
            print(f"ews-propose {args.command}: {exc}", file=sys.stderr)
            return EXIT_FAILED

    return run


def _client(args: argparse.Namespace) -> EwsClient:
    if not args.endpoint:
        raise UsageError("no endpoint: pass --endpoint or set EWS_ENDPOINT")
    if args.token:
        return EwsClient(args.endpoint, token=args.token, schema_version=args.schema_version)
    if not args.user:
        raise UsageError("no mailbox: pass --user or set EWS_USER (or --token / EWS_TOKEN)")
    if args.password is None:
        raise UsageError("no password: pass --password or set EWS_PASSWORD")
    return EwsClient(args.endpoint, user=args.user, password=args.password,
                     schema_version=args.schema_version)


def _availability_text(av: Availability | None) -> str:
    if av is None:
        return "?"
    if av.everyone_free:
        return "[green]everyone free[/green]"
    lines = []
    for a in av.attendees:
        if a.status == "free":
            continue
        who = a.attendee.person.name or a.attendee.person.email
        what = ", ".join(f"{c.subject or c.busy_type} {_span(c.start, c.end)}" for c in a.conflicts)
        colour = {"busy": "red", "oof": "red", "tentative": "yellow"}.get(a.status, "magenta")
        lines.append(f"[{colour}]{who}: {a.status}[/{colour}]" + (f" ({what})" if what else "")
                     + (f" ({a.error})" if a.error else ""))
    return "\n".join(lines)


def proposals_command(args: argparse.Namespace, out: Console) -> int:
    client = _client(args)
    found = client.proposals(open_only=not args.all)
    if not found:
        out.print("No open proposals." if not args.all else "No proposals.")
        return 0
    availability: dict[int, Availability] = {}
    note = ""
    try:
        for av in client.availabilities([p for p in found if p.is_open]):
            availability[id(av.proposal)] = av
    except EwsClientError as exc:
        note = f"availability unknown: {exc}"
    table = Table(title=f"Proposals for {args.user or 'this mailbox'}", show_lines=True)
    table.add_column("ID", overflow="fold", no_wrap=False)
    table.add_column("Meeting")
    table.add_column("From")
    table.add_column("Now")
    table.add_column("Proposed")
    table.add_column("Answer")
    table.add_column("Availability")
    for p in found:
        table.add_row(p.id, p.subject, p.attendee.name or p.attendee.email,
                      _span(p.original_start, p.original_end), _span(p.proposed_start, p.proposed_end),
                      p.response_type + (f"\n“{p.comment}”" if p.comment else ""),
                      _availability_text(availability.get(id(p))) if p.is_open else "no longer open")
    out.print(table)
    if note:
        print(f"ews-propose proposals: {note}", file=sys.stderr)
    return 0


def accept_command(args: argparse.Namespace, out: Console) -> int:
    client = _client(args)
    proposal = client.proposal(args.id)
    client.accept_proposal(proposal)
    out.print(f"Moved {proposal.subject!r} to {_span(proposal.proposed_start, proposal.proposed_end)} "
              f"(proposed by {proposal.attendee.email}); updates sent to all attendees.",
              highlight=False)
    return 0


def decline_command(args: argparse.Namespace, out: Console) -> int:
    client = _client(args)
    proposal = client.proposal(args.id)
    client.decline_proposal(proposal, args.comment)
    out.print(f"Declined {proposal.attendee.email}'s proposal for {proposal.subject!r}; "
              f"the meeting stays at {_span(proposal.original_start, proposal.original_end)}.",
              highlight=False)
    return 0


def propose_command(args: argparse.Namespace, out: Console) -> int:
    start, end = parse_aware(args.start, "--start"), parse_aware(args.end, "--end")
    client = _client(args)
    result = client.propose_new_time(args.item_id, start, end, response=args.response,
                                     comment=args.comment, fallback=args.fallback_email)
    if result.kind == "email":
        out.print(f"The server cannot take a proposal here: e-mailed the organizer the proposed time "
                  f"{_span(start, end)} instead.", highlight=False)
    else:
        out.print(f"Proposed {_span(start, end)} ({args.response}).", highlight=False)
        for ref in result.ids:
            out.print(f"  {ref.id}", highlight=False)
    return 0
