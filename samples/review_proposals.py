#!/usr/bin/env python3
"""An organizer's review: read every open proposal, check everyone's availability over
the proposed time (attendees, rooms and resources), and accept the proposals where
everyone is free. The others are listed with who is busy and why.

    python samples/review_proposals.py --endpoint http://127.0.0.1:8765/EWS/Exchange.asmx \\
        --user AlexW@contoso.com --password alex-demo-pw [--dry-run]

EWS_ENDPOINT / EWS_USER / EWS_PASSWORD are the defaults. The whole review takes a
handful of round trips whatever the number of proposals: FindItem pages, batched
GetItem, one GetUserAvailability per group of mailboxes and weeks, batched UpdateItem.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from ews_propose.client import EwsClient, EwsClientError


def review(client: EwsClient, dry_run: bool = False,
           out: Callable[[str], None] = print) -> dict[str, int]:
    proposals = client.proposals(open_only=True)
    reports = client.availabilities(proposals)
    free = [r.proposal for r in reports if r.everyone_free]
    for r in reports:
        p = r.proposal
        verdict = "everyone free" if r.everyone_free else "; ".join(
            f"{a.attendee.person.email} {a.status}"
            + "".join(f" ({c.subject or c.busy_type} {c.start:%H:%M}-{c.end:%H:%M})" for c in a.conflicts)
            for a in r.attendees if a.status != "free")
        out(f"{p.subject!r} from {p.attendee.email}: {p.original_start:%Y-%m-%d %H:%M} -> "
            f"{p.proposed_start:%Y-%m-%d %H:%M} UTC: {verdict}")
    accepted = failed = 0
    if not dry_run:
        for result in client.accept_proposals(free):
            if result.ok:
                accepted += 1
            else:
                failed += 1
                out(f"could not accept {result.proposal.subject!r}: {result.error}")
    out(f"{len(proposals)} open proposals, {len(free)} with everyone free, {accepted} accepted"
        + (f", {failed} failed" if failed else "") + f" ({client.round_trips} round trips)")
    return {"open": len(proposals), "free": len(free), "accepted": accepted, "failed": failed}


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=env("EWS_ENDPOINT", "http://127.0.0.1:8765/EWS/Exchange.asmx"))
    parser.add_argument("--user", default=env("EWS_USER", "AlexW@contoso.com"))
    parser.add_argument("--password", default=env("EWS_PASSWORD", "alex-demo-pw"))
    parser.add_argument("--dry-run", action="store_true", help="report only; accept nothing")
    args = parser.parse_args(argv)
    try:
        counts = review(EwsClient(args.endpoint, user=args.user, password=args.password), args.dry_run)
    except EwsClientError as exc:
        print(f"review failed: {exc}", file=sys.stderr)
        return 1
    return 0 if counts["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
