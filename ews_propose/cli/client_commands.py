"""``ews-propose meeting-requests | propose | proposals | accept-proposal |
decline-proposal``: the client library from the command line. EWS_ENDPOINT / EWS_USER /
EWS_PASSWORD (or EWS_TOKEN) are the defaults of --endpoint / --user / --password
(--token). Listings print a table, or JSON with ``--json``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..client import Availability, EwsClient, EwsClientError, MeetingRequest, Proposal, Suggestion
from ..client.availability import attendees_of
from ..client.session import check_endpoint
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


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _connection_flags(parser: argparse.ArgumentParser, listing: bool = False) -> None:
    env = os.environ.get
    parser.add_argument("--endpoint", default=env("EWS_ENDPOINT"),
                        help="EWS URL, e.g. http://127.0.0.1:8765/EWS/Exchange.asmx (env EWS_ENDPOINT)")
    parser.add_argument("--user", default=env("EWS_USER"), help="mailbox SMTP address (env EWS_USER)")
    parser.add_argument("--password", default=env("EWS_PASSWORD"), help="password (env EWS_PASSWORD)")
    parser.add_argument("--token", default=env("EWS_TOKEN"),
                        help="bearer token instead of user/password (env EWS_TOKEN)")
    parser.add_argument("--ca-bundle", default=env("EWS_CA_BUNDLE"), metavar="FILE",
                        help="CA file to trust for an https:// endpoint, e.g. the TLS CA that "
                        "`ews-propose serve` prints (env EWS_CA_BUNDLE)")
    parser.add_argument("--schema-version", default="Exchange2013", metavar="VERSION",
                        help="RequestServerVersion sent with every request, e.g. Exchange2010_SP2 "
                        "(default Exchange2013, the oldest that carries proposals)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="print JSON instead of a table" if listing else "print the result as JSON")
    if listing:
        out.add_argument("--ids", action="store_true",
                         help="print only the ids, one a line, newest first (for shell scripts)")


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("invite", help="create a meeting and send the invitations (the organizer)")
    _connection_flags(p)
    p.add_argument("--subject", required=True)
    p.add_argument("--start", required=True, help="ISO 8601 with zone, e.g. 2030-01-15T12:00Z")
    p.add_argument("--end", required=True, help="ISO 8601 with zone")
    p.add_argument("--attendee", action="append", default=[], metavar="SMTP",
                   help="a required attendee (repeatable)")
    p.add_argument("--optional", action="append", default=[], metavar="SMTP",
                   help="an optional attendee (repeatable)")
    p.add_argument("--room", action="append", default=[], metavar="SMTP", help="a room or resource (repeatable)")
    p.add_argument("--location", default=None)
    p.add_argument("--body", default="", help="the invitation's text")
    p.add_argument("--no-proposals", action="store_true",
                   help="do not allow attendees to propose a new time (AllowNewTimeProposal false)")
    p.set_defaults(run=_guarded(invite_command))

    p = commands.add_parser("meeting-requests", help="an attendee's meeting requests, with their ids")
    _connection_flags(p, listing=True)
    p.set_defaults(run=_guarded(requests_command))

    p = commands.add_parser("propose", help="answer a meeting request with a new time")
    _connection_flags(p)
    p.add_argument("item_id", metavar="ITEM_ID", help="the MeetingRequest id (from `ews-propose meeting-requests`)")
    p.add_argument("--start", required=True, help="proposed start, ISO 8601 with zone (…Z or +01:00)")
    p.add_argument("--end", required=True, help="proposed end, ISO 8601 with zone")
    answer = p.add_mutually_exclusive_group()
    answer.add_argument("--tentative", dest="response", action="store_const", const="tentative",
                        help="answer Tentative with the proposal (the default, as Outlook does)")
    answer.add_argument("--accept", dest="response", action="store_const", const="accept",
                        help="answer Accept with the proposal")
    answer.add_argument("--decline", dest="response", action="store_const", const="decline",
                        help="answer Decline with the proposal")
    p.add_argument("--comment", default="", help="text for the organizer")
    p.add_argument("--fallback-email", action="store_true",
                   help="if the server or meeting cannot take a proposal, e-mail the organizer instead")
    p.set_defaults(run=_guarded(propose_command), response="tentative")

    p = commands.add_parser("proposals", help="the organizer's open proposals, with availability")
    _connection_flags(p, listing=True)
    p.add_argument("--all", action="store_true",
                   help="also show proposals that are no longer open (declined, superseded, moved)")
    p.set_defaults(run=_guarded(proposals_command))

    p = commands.add_parser("accept-proposal", help="move the meeting to a proposal's time")
    _connection_flags(p)
    p.add_argument("id", metavar="ID", help="the MeetingResponse id (from `ews-propose proposals`)")
    p.add_argument("--force", action="store_true",
                   help="move even if someone is busy then or the proposed time has passed")
    p.set_defaults(run=_guarded(accept_command))

    p = commands.add_parser("decline-proposal",
                            help="keep the meeting, tell the attendee, close the proposal")
    _connection_flags(p)
    p.add_argument("id", metavar="ID", help="the MeetingResponse id (from `ews-propose proposals`)")
    p.add_argument("--comment", default="", help="text for the attendee")
    p.set_defaults(run=_guarded(decline_command))


class UsageError(Exception):
    pass


def _console() -> Console:
    # Piped output keeps whole lines: rich would otherwise wrap tables to 80 columns.
    return Console() if sys.stdout.isatty() else Console(width=1000, no_color=True)


def _guarded(command: Callable[[argparse.Namespace, Console], int]) -> Callable[[argparse.Namespace], int]:
    """Expected failures print one line and exit non-zero (2 for a usage error); no tracebacks."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args, _console())
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
    try:
        check_endpoint(args.endpoint)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.ca_bundle and not os.path.isfile(args.ca_bundle):
        raise UsageError(f"--ca-bundle {args.ca_bundle}: no such file")
    options = dict(schema_version=args.schema_version, ca_file=args.ca_bundle)
    try:
        if args.token:
            return EwsClient(args.endpoint, token=args.token, **options)
        if not args.user:
            raise UsageError("no mailbox: pass --user or set EWS_USER (or --token / EWS_TOKEN)")
        if args.password is None:
            raise UsageError("no password: pass --password or set EWS_PASSWORD")
        return EwsClient(args.endpoint, user=args.user, password=args.password, **options)
    except ValueError as exc:  # e.g. an unknown --schema-version
        raise UsageError(str(exc)) from None


def _time(text: str, flag: str) -> datetime:
    try:
        return parse_aware(text, flag)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


# --- attendee ---------------------------------------------------------------------------


def invite_command(args: argparse.Namespace, out: Console) -> int:
    start, end = _time(args.start, "--start"), _time(args.end, "--end")
    if end <= start:
        raise UsageError(f"--end {args.end} is not after --start {args.start}")
    client = _client(args)
    ref = client.create_meeting(args.subject, start, end, required=args.attendee, optional=args.optional,
                                resources=args.room, location=args.location, body=args.body,
                                allow_new_time_proposal=not args.no_proposals)
    invited = [*args.attendee, *args.optional, *args.room]
    if args.json:
        _print_json({"id": ref.id, "change_key": ref.change_key, "subject": args.subject,
                     "start": _iso(start), "end": _iso(end), "invited": invited})
        return 0
    out.print(f"Created {args.subject!r} at {_span(start, end)}"
              + (f"; invitations sent to {', '.join(invited)}." if invited else " (no attendees)."),
              highlight=False)
    out.print(f"  meeting: {ref.id}", highlight=False)
    return 0


def requests_command(args: argparse.Namespace, out: Console) -> int:
    client = _client(args)
    found = client.meeting_requests()
    if args.ids:
        print("\n".join(r.id for r in found))
        return 0
    why = {r.id: (client.why_not_propose(r) if found else None) for r in found}
    if args.json:
        _print_json([_request_json(r, why[r.id]) for r in found])
        return 0
    if not found:
        out.print("No meeting requests in the Inbox.")
        return 0
    table = Table(title=f"Meeting requests for {args.user or 'this mailbox'}", show_lines=True)
    for name in ("ID", "Meeting", "Organizer", "When", "Location", "Can propose"):
        table.add_column(name, overflow="fold")
    for r in found:
        organizer = (r.organizer.name or r.organizer.email) if r.organizer else "?"
        table.add_row(r.id, escape(r.subject), escape(organizer), _span(r.start, r.end),
                      escape(r.location or ""), "yes" if why[r.id] is None else f"no: {escape(why[r.id])}")
    out.print(table)
    return 0


def _request_json(r: MeetingRequest, why_not: str | None) -> dict[str, Any]:
    return {
        "id": r.id, "change_key": r.ref.change_key, "subject": r.subject,
        "organizer": {"email": r.organizer.email, "name": r.organizer.name} if r.organizer else None,
        "start": _iso(r.start), "end": _iso(r.end), "location": r.location,
        "meeting_request_type": r.meeting_request_type,
        "can_propose": why_not is None, "why_not": why_not,
    }


def propose_command(args: argparse.Namespace, out: Console) -> int:
    start, end = _time(args.start, "--start"), _time(args.end, "--end")
    client = _client(args)
    result = client.propose_new_time(args.item_id, start, end, response=args.response,
                                     comment=args.comment, fallback=args.fallback_email)
    if args.json:
        _print_json({
            "kind": result.kind, "response": args.response,
            "proposed": {"start": _iso(start), "end": _iso(end)},
            "calendar_item_id": result.calendar_item.id if result.calendar_item else None,
            "meeting_request_id": result.meeting_request.id if result.meeting_request else None,
            "ids": [ref.id for ref in result.ids],
        })
        return 0
    if result.kind == "email":
        out.print(f"The server cannot take a proposal here: e-mailed the organizer the proposed time "
                  f"{_span(start, end)} instead.", highlight=False)
        for ref in result.ids:
            out.print(f"  message: {ref.id}", highlight=False)
        return 0
    out.print(f"Proposed {_span(start, end)} ({args.response}).", highlight=False)
    if result.calendar_item:
        out.print(f"  your calendar item:  {result.calendar_item.id}", highlight=False)
    if result.meeting_request:
        out.print(f"  the meeting request: {result.meeting_request.id}",
                  highlight=False)
    return 0


# --- organizer --------------------------------------------------------------------------


def _availability_text(av: Availability | None) -> str:
    if av is None:
        return "?"
    if av.everyone_free:
        return "[green]everyone free[/green]"
    lines = []
    for a in av.attendees:
        if a.status == "free":
            continue
        colour = {"busy": "red", "oof": "red", "tentative": "yellow"}.get(a.status, "magenta")
        lines.append(f"[{colour}]{escape(_busy_line(a))}[/{colour}]")
    return "\n".join(lines)


def _free_times(client: EwsClient, p: Proposal, limit: int = 3) -> list[Suggestion]:
    """For a proposal that conflicts: times on the proposed day (UTC) when the server
    rates everyone free (an Excellent suggestion), still ahead, work time first (the
    organizer's); [] when it cannot say."""
    day = p.proposed_start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    length = min(max(p.proposed_end - p.proposed_start, timedelta(minutes=30)), timedelta(days=1))
    try:
        found = client.suggest_times([a.person.email for a in attendees_of(p)], day, day + timedelta(days=1),
                                     length, max_per_day=48, minimum_quality="Good", max_non_work_per_day=48)
    except (EwsClientError, ValueError):
        return []
    now = datetime.now(UTC)
    free = [s for s in found if s.quality == "Excellent" and s.start > now]
    return sorted(free, key=lambda s: (not s.is_work_time, s.start))[:limit]


def _free_text(times: list[Suggestion]) -> str:
    return ", ".join(_span(s.start, s.end) for s in times)


def _busy_line(a) -> str:
    who = a.attendee.person.name or a.attendee.person.email
    what = ", ".join(f"{c.subject or c.busy_type} {_span(c.start, c.end)}" for c in a.conflicts)
    return f"{who}: {a.status}" + (f" ({what})" if what else "") + (f" ({a.error})" if a.error else "")


def _state(p: Proposal) -> str:
    if p.is_open:
        return "open"
    return "declined" if p.declined else "no longer open"


def proposals_command(args: argparse.Namespace, out: Console) -> int:
    client = _client(args)
    found = client.proposals(open_only=not args.all)
    if args.ids:
        print("\n".join(p.id for p in found))
        return 0
    availability: dict[int, Availability] = {}
    free: dict[int, list[Suggestion]] = {}
    note = ""
    try:
        for av in client.availabilities([p for p in found if p.is_open]):
            availability[id(av.proposal)] = av
            if not av.everyone_free:  # when the proposal conflicts, say when everyone is free
                free[id(av.proposal)] = _free_times(client, av.proposal)
    except EwsClientError as exc:
        note = f"availability unknown: {exc}"
    if args.json:
        _print_json([_proposal_json(p, availability.get(id(p)), free.get(id(p), [])) for p in found])
    elif not found:
        out.print("No open proposals." if not args.all else "No proposals.")
    else:
        table = Table(title=f"Proposals for {args.user or 'this mailbox'}", show_lines=True)
        for name in ("ID", "Meeting", "From", "Now", "Proposed", "Answer", "Availability"):
            table.add_column(name, overflow="fold")
        for p in found:
            table.add_row(p.id, escape(p.subject), escape(p.attendee.name or p.attendee.email),
                          _span(p.original_start, p.original_end), _span(p.proposed_start, p.proposed_end),
                          p.response_type + (f"\n“{escape(p.comment)}”" if p.comment else ""),
                          (_availability_text(availability.get(id(p)))
                           + (f"\n[cyan]everyone free: {_free_text(free[id(p)])}[/cyan]" if free.get(id(p)) else ""))
                          if p.is_open else _state(p))
        out.print(table)
    if note:
        print(f"ews-propose proposals: {note}", file=sys.stderr)
    return 0


def _proposal_json(p: Proposal, av: Availability | None, free: list[Suggestion]) -> dict[str, Any]:
    return {
        "id": p.id, "meeting_id": p.meeting.ref.id if p.meeting else None, "subject": p.subject,
        "attendee": {"email": p.attendee.email, "name": p.attendee.name},
        "response_type": p.response_type, "comment": p.comment, "state": _state(p),
        "current": {"start": _iso(p.original_start), "end": _iso(p.original_end)},
        "proposed": {"start": _iso(p.proposed_start), "end": _iso(p.proposed_end)},
        "received": _iso(p.received),
        "availability": None if av is None else {
            "everyone_free": av.everyone_free,
            "attendees": [{"email": a.attendee.person.email, "status": a.status, "error": a.error,
                           "conflicts": [{"start": _iso(c.start), "end": _iso(c.end),
                                          "busy_type": c.busy_type, "subject": c.subject}
                                         for c in a.conflicts]}
                          for a in av.attendees],
        },
        # when the proposal conflicts: times that day the server rates everyone free
        "everyone_free_at": [{"start": _iso(s.start), "end": _iso(s.end)} for s in free],
    }


def accept_command(args: argparse.Namespace, out: Console) -> int:
    client = _client(args)
    proposal = client.proposal(args.id)
    if not args.force and proposal.is_open:
        if proposal.proposed_start <= datetime.now(UTC):
            raise EwsClientError(f"the proposed time {_span(proposal.proposed_start, proposal.proposed_end)} "
                                 "has already begun; pass --force to move the meeting anyway")
        av = client.availability(proposal)
        if not av.everyone_free:
            busy = "; ".join(_busy_line(a) for a in av.attendees if a.status != "free")
            times = _free_times(client, proposal)
            hint = f" Everyone is free that day at {_free_text(times)}." if times else ""
            raise EwsClientError(f"not everyone is free at {_span(proposal.proposed_start, proposal.proposed_end)}: "
                                 f"{busy}.{hint} Pass --force to move anyway, or decline-proposal")
    client.accept_proposal(proposal)
    if args.json:
        _print_json({"moved": proposal.meeting.ref.id if proposal.meeting else None,
                     "start": _iso(proposal.proposed_start), "end": _iso(proposal.proposed_end)})
        return 0
    out.print(f"Moved {proposal.subject!r} to {_span(proposal.proposed_start, proposal.proposed_end)} "
              f"(proposed by {proposal.attendee.email}); updates sent to all attendees.",
              highlight=False)
    return 0


def decline_command(args: argparse.Namespace, out: Console) -> int:
    client = _client(args)
    proposal = client.proposal(args.id)
    client.decline_proposal(proposal, args.comment)
    if args.json:
        _print_json({"declined": proposal.id, "attendee": proposal.attendee.email})
        return 0
    out.print(f"Declined {proposal.attendee.email}'s proposal for {proposal.subject!r}; "
              f"the meeting stays at {_span(proposal.original_start, proposal.original_end)}.",
              highlight=False)
    return 0
