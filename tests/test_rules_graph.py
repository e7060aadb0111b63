"""Rules added for the Graph surface, in plain Python (no wire): answering without
sending, refusing a proposal that would not be sent, cancelling with a comment, and the
organizer changing the attendee list."""

from __future__ import annotations

import pytest

from ews_propose.rules import RuleError
from ews_propose.rules import engine as E
from ews_propose.rules import errors as errors
from ews_propose.rules import model as m

from .test_rules import ADELE, ALEX, HOUR, MEGAN, NOON, folder, inbox, invite, rules, store  # noqa: F401


def request_of(rules, who):  # noqa: F811
    [request] = inbox(rules, who, m.MEETING_REQUEST)
    return request


def test_dont_send_updates_only_the_attendee(rules):  # noqa: F811
    meeting = invite(rules, ADELE)
    result = rules.respond(ADELE, request_of(rules, ADELE).id, E.Reply(m.ACCEPT), E.DONT_SEND)
    assert result.calendar_item.my_response == m.ACCEPT
    assert inbox(rules, ALEX) == [] and folder(rules, ADELE, m.SENT) == []
    assert rules.get_item(ALEX, meeting.id).attendee(ADELE).response == m.UNKNOWN


def test_a_proposal_must_be_sent(rules):  # noqa: F811
    invite(rules, ADELE)
    reply = E.Reply(m.TENTATIVE, proposed_start=NOON + 24 * HOUR, proposed_end=NOON + 25 * HOUR)
    with pytest.raises(RuleError) as caught:
        rules.respond(ADELE, request_of(rules, ADELE).id, reply, E.DONT_SEND)
    assert caught.value.reason == errors.PROPOSAL_NOT_SENT
    assert request_of(rules, ADELE).folder == m.INBOX  # nothing changed


def test_cancel_meeting_with_a_comment(rules):  # noqa: F811
    meeting = invite(rules, ADELE)
    with pytest.raises(RuleError) as caught:
        rules.cancel_meeting(ADELE, folder(rules, ADELE, m.CALENDAR)[0].id)
    assert caught.value.reason == errors.NOT_ORGANIZER
    rules.cancel_meeting(ALEX, meeting.id, "Rain check.")
    [notice] = inbox(rules, ADELE, m.MEETING_CANCELLATION)
    assert notice.body == "Rain check." and notice.subject == "Canceled: Lunch"
    assert rules.get_item(ALEX, meeting.id).folder == m.DELETED
    [copy] = [i for i in folder(rules, ALEX, m.SENT) if i.kind == m.MEETING_CANCELLATION]
    assert copy.body == "Rain check."
    with pytest.raises(RuleError):
        rules.cancel_meeting(ALEX, meeting.id)


def test_changing_attendees_invites_newcomers_and_cancels_the_removed(rules):  # noqa: F811
    meeting = invite(rules, ADELE)
    rules.respond(ADELE, request_of(rules, ADELE).id, E.Reply(m.ACCEPT))
    updated = rules.update_item(ALEX, meeting.id, None, {"attendees": [m.Attendee(MEGAN)]}, send=E.SEND_AND_SAVE)
    assert [a.smtp for a in updated.attendees] == [MEGAN]
    assert updated.attendees[0].name == "Megan Bowen" and updated.attendees[0].response == m.UNKNOWN
    assert request_of(rules, MEGAN).request_type == m.NEW_REQUEST
    [notice] = inbox(rules, ADELE, m.MEETING_CANCELLATION)
    assert notice.subject == "Canceled: Lunch"
    [hers] = folder(rules, ADELE, m.CALENDAR)
    assert hers.is_cancelled

    again = rules.update_item(ALEX, meeting.id, None,
                              {"attendees": [m.Attendee(MEGAN, role=m.OPTIONAL), m.Attendee(ADELE)]},
                              send=E.SEND_AND_SAVE)
    assert [(a.smtp, a.role) for a in again.attendees] == [(MEGAN, m.OPTIONAL), (ADELE, m.REQUIRED)]
    newest = sorted(inbox(rules, MEGAN, m.MEETING_REQUEST), key=lambda i: i.sequence)[-1]
    assert newest.request_type == m.INFORMATIONAL_UPDATE
    assert request_of(rules, ADELE).request_type == m.NEW_REQUEST
    assert not folder(rules, ADELE, m.CALENDAR)[0].is_cancelled


def test_only_the_organizer_changes_attendees(rules):  # noqa: F811
    invite(rules, ADELE)
    [hers] = folder(rules, ADELE, m.CALENDAR)
    with pytest.raises(RuleError) as caught:
        rules.update_item(ADELE, hers.id, None, {"attendees": [m.Attendee(MEGAN)]}, send=E.SEND_AND_SAVE)
    assert caught.value.reason == errors.NOT_ORGANIZER


def test_every_stored_time_reads_back():
    from datetime import UTC, datetime

    from ews_propose.rules.model import format_utc, parse_utc

    for moment in (datetime(1, 1, 1, tzinfo=UTC), datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
                   datetime(2026, 12, 1, 12, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)):
        assert parse_utc(format_utc(moment)) == moment
    assert format_utc(datetime(2019, 8, 15, 19, 0, 0, 123456, tzinfo=UTC)) == "2019-08-15T19:00:00Z"
