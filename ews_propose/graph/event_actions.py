"""``POST .../events/{id}/accept | tentativelyAccept | decline | cancel`` under every path
form: 202 with no body. The meeting rules do the work; this maps the body onto them."""

from __future__ import annotations

from ..rules import engine as R
from ..rules.model import ACCEPT, DECLINE, TENTATIVE
from .common import ctx_of, no_content, read_body
from .events import find_event, scoped
from .models import AcceptBody, CancelBody, ProposingBody
from .timezones import parse

_KIND = {"accept": ACCEPT, "tentativelyaccept": TENTATIVE, "decline": DECLINE}
_BODY = {"accept": AcceptBody, "tentativelyaccept": ProposingBody, "decline": ProposingBody, "cancel": CancelBody}


class EventAction:
    """One action; the same class serves each action's every path form."""

    def __init__(self, action: str) -> None:
        self.action = action

    def on_post(self, req, resp, event_id, user=None, calendar_id=None, group_id=None):
        ctx = ctx_of(req)
        body = read_body(req, _BODY[self.action], empty_ok=True)
        item = find_event(ctx, user, event_id, calendar_id, group_id, scoped(req, calendar_id))
        if self.action == "cancel":
            ctx.rules.cancel_meeting(item.mailbox, item.id, body.comment or "")
            return no_content(resp, 202)
        proposal = getattr(body, "proposed_new_time", None)
        reply = R.Reply(_KIND[self.action], body=body.comment or "", body_type="Text")
        if proposal is not None:
            reply.proposed_start = parse(proposal.start.date_time, proposal.start.time_zone)
            reply.proposed_end = parse(proposal.end.date_time, proposal.end.time_zone)
        # sendResponse false: the calendar changes, nothing is sent; with a proposal it is
        # the rules' PROPOSAL_NOT_SENT refusal (400, seed 003).
        disposition = R.SEND_AND_SAVE_COPY if body.send_response else R.DONT_SEND
        ctx.rules.respond(item.mailbox, item.id, reply, disposition)
        no_content(resp, 202)
