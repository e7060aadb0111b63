"""The meeting rules on their own: plain Python over the store, no XML, no HTTP."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from ews_propose.directory import Directory
from ews_propose.rules import MeetingRules, NewItem, Reply, RuleError
from ews_propose.rules import engine as E
from ews_propose.rules import model as m
from ews_propose.store import SqliteStore, open_store
from ews_propose.store.base import Store
from ews_propose.store.schema import SCHEMA_VERSION

from .stores import store_for

ALEX, ADELE, MEGAN, ROOM = "AlexW@contoso.com", "AdeleV@contoso.com", "MeganB@contoso.com", "Rainier@contoso.com"
NOON = datetime(2026, 12, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def store(tmp_path):
    with open_store(store_for(tmp_path, "rules.sqlite3")) as s:
        yield s


@pytest.fixture
def rules(store):
    return MeetingRules(store, Directory.demo())


def invite(rules, *attendees, allow=True, start=NOON, organizer=ALEX):
    new = NewItem(kind=m.CALENDAR_ITEM, subject="Lunch", start=start, end=start + HOUR,
                  allow_new_time_proposal=allow,
                  attendees=[m.Attendee(a, role=m.RESOURCE if a == ROOM else m.REQUIRED) for a in attendees])
    return rules.create_calendar_item(organizer, new, send=E.SEND_AND_SAVE)


def inbox(rules, who, kind=None):
    items, _ = rules.list_folder(who, m.INBOX, E.View())
    return [i for i in items if kind is None or i.kind == kind]


def folder(rules, who, name):
    return rules.list_folder(who, name, E.View())[0]


def test_decline_with_proposal_frees_the_time_and_tells_the_organizer(rules):
    meeting = invite(rules, ADELE)
    (request,) = inbox(rules, ADELE)
    result = rules.respond(ADELE, request.id, Reply(m.DECLINE, proposed_start=NOON + 24 * HOUR,
                                                    proposed_end=NOON + 25 * HOUR))
    assert result.calendar_item.folder == m.DELETED
    assert result.calendar_item.free_busy == m.FREE
    (response,) = inbox(rules, ALEX, m.MEETING_RESPONSE)
    assert response.item_class == "IPM.Schedule.Meeting.Resp.Neg"
    assert response.subject == "New Time Proposed: Lunch"
    entry = rules.get_item(ALEX, meeting.id).attendee(ADELE)
    assert (entry.response, entry.proposed_start) == (m.DECLINE, NOON + 24 * HOUR)


def test_save_only_reply_is_a_draft_and_changes_nothing_else(rules):
    meeting = invite(rules, ADELE)
    (request,) = inbox(rules, ADELE)
    result = rules.respond(ADELE, request.id, Reply(m.ACCEPT), disposition=E.SAVE_ONLY)
    assert result.draft is not None and result.draft.folder == m.DRAFTS and result.draft.is_draft
    assert inbox(rules, ADELE) == [rules.get_item(ADELE, request.id)]
    assert inbox(rules, ALEX) == []
    assert rules.get_item(ALEX, meeting.id).attendee(ADELE).response == m.UNKNOWN


def test_answering_twice_updates_the_organizer_once_per_answer(rules):
    meeting = invite(rules, ADELE)
    (request,) = inbox(rules, ADELE)
    first = rules.respond(ADELE, request.id, Reply(m.TENTATIVE, proposed_start=NOON + HOUR,
                                                   proposed_end=NOON + 2 * HOUR))
    # A second answer, from the calendar item (the request is in Deleted Items now).
    rules.respond(ADELE, first.calendar_item.id, Reply(m.ACCEPT))
    entry = rules.get_item(ALEX, meeting.id).attendee(ADELE)
    assert entry.response == m.ACCEPT
    assert entry.proposed_start is None  # the plain accept withdrew the proposal
    assert len(inbox(rules, ALEX, m.MEETING_RESPONSE)) == 2


def test_reply_after_the_organizer_deleted_the_meeting_still_arrives(rules):
    meeting = invite(rules, ADELE)
    rules.delete_item(ALEX, meeting.id, E.HARD_DELETE, E.SEND_NONE)
    (request,) = inbox(rules, ADELE)
    rules.respond(ADELE, request.id, Reply(m.ACCEPT))
    (response,) = inbox(rules, ALEX, m.MEETING_RESPONSE)
    assert response.associated_item_id is None


def test_only_the_organizer_changes_allow_new_time_proposal(rules):
    invite(rules, ADELE)
    (calendar_item,) = folder(rules, ADELE, m.CALENDAR)
    with pytest.raises(RuleError) as refused:
        rules.update_item(ADELE, calendar_item.id, None, {"allow_new_time_proposal": False})
    assert refused.value.reason == "not_organizer"


def test_organizer_can_forbid_proposals_later(rules):
    meeting = invite(rules, ADELE)
    rules.update_item(ALEX, meeting.id, meeting.change_key, {"allow_new_time_proposal": False},
                      send=E.SEND)
    request = [r for r in inbox(rules, ADELE) if not r.is_out_of_date][0]
    assert request.request_type == m.INFORMATIONAL_UPDATE
    assert m.ACT_PROPOSE not in rules.actions(ADELE, request, proposals_supported=True)
    with pytest.raises(RuleError) as refused:
        rules.respond(ADELE, request.id, Reply(m.TENTATIVE, proposed_start=NOON, proposed_end=NOON + HOUR))
    assert refused.value.reason == "proposals_not_allowed"


def test_actions_by_reader(rules):
    meeting = invite(rules, ADELE)
    (request,) = inbox(rules, ADELE)
    assert rules.actions(ALEX, meeting, True) == [m.ACT_CANCEL, m.ACT_FORWARD]
    assert rules.actions(ADELE, request, True) == [m.ACT_ACCEPT, m.ACT_TENTATIVE, m.ACT_DECLINE,
                                                   m.ACT_PROPOSE, m.ACT_REPLY, m.ACT_REPLY_ALL, m.ACT_FORWARD]
    assert m.ACT_PROPOSE not in rules.actions(ADELE, request, False)
    appointment = rules.create_calendar_item(ALEX, NewItem(kind=m.CALENDAR_ITEM, start=NOON, end=NOON + HOUR))
    assert rules.actions(ALEX, appointment, True) == [m.ACT_FORWARD]


def test_rooms_rebook_when_the_meeting_moves(rules):
    invite(rules, ROOM, organizer=MEGAN, start=NOON + 24 * HOUR)  # the room is taken tomorrow
    meeting = invite(rules, ADELE, ROOM)
    assert rules.get_item(ALEX, meeting.id).attendee(ROOM).response == m.ACCEPT
    current = rules.get_item(ALEX, meeting.id)
    rules.update_item(ALEX, meeting.id, current.change_key,
                      {"start": NOON + 24 * HOUR, "end": NOON + 25 * HOUR}, send=E.SEND)
    assert rules.get_item(ALEX, meeting.id).attendee(ROOM).response == m.DECLINE
    assert rules.get_item(ALEX, meeting.id).attendee(ADELE).response == m.NO_RESPONSE


class FailingStore(Store):
    """A store whose Nth write in a transaction fails, as a crash would."""

    def __init__(self, inner: Store, fail_at: int) -> None:
        self.inner, self.fail_at = inner, fail_at

    @contextmanager
    def transaction(self, write=True):
        with self.inner.transaction(write) as tx:
            writes = 0
            real_put = tx.put

            def put(item):
                nonlocal writes
                writes += 1
                if writes == self.fail_at:
                    raise RuntimeError("crash in the middle of a workflow step")
                real_put(item)

            tx.put = put
            yield tx

    def close(self):
        self.inner.close()


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4, 5])
def test_a_reply_lands_whole_or_not_at_all(store, fail_at):
    rules = MeetingRules(store, Directory.demo())
    meeting = invite(rules, ADELE)
    (request,) = inbox(rules, ADELE)
    before = {who: sorted((i.id, i.folder, i.change_key) for f in m.ITEM_FOLDERS for i in folder(rules, who, f))
              for who in (ALEX, ADELE)}
    broken = MeetingRules(FailingStore(store, fail_at), Directory.demo())
    with pytest.raises(RuntimeError):
        broken.respond(ADELE, request.id, Reply(m.TENTATIVE, proposed_start=NOON + HOUR,
                                                proposed_end=NOON + 2 * HOUR))
    after = {who: sorted((i.id, i.folder, i.change_key) for f in m.ITEM_FOLDERS for i in folder(rules, who, f))
             for who in (ALEX, ADELE)}
    assert after == before
    # And the same reply, retried on the healthy store, goes through once.
    rules.respond(ADELE, request.id, Reply(m.TENTATIVE, proposed_start=NOON + HOUR, proposed_end=NOON + 2 * HOUR))
    assert len(inbox(rules, ALEX, m.MEETING_RESPONSE)) == 1
    assert rules.get_item(ALEX, meeting.id).attendee(ADELE).response == m.TENTATIVE


def test_a_long_item_is_seen_from_the_middle_of_it(tmp_path):
    path = store_for(tmp_path, "long.sqlite3")
    with open_store(path) as store:
        rules = MeetingRules(store, Directory.demo())
        rules.create_calendar_item(ALEX, NewItem(kind=m.CALENDAR_ITEM, subject="Conference",
                                                 start=NOON, end=NOON + 96 * HOUR))
        rules.create_calendar_item(ALEX, NewItem(kind=m.CALENDAR_ITEM, subject="Lunch",
                                                 start=NOON + 48 * HOUR, end=NOON + 49 * HOUR))
        middle = (NOON + 40 * HOUR, NOON + 64 * HOUR)
        assert [i.subject for i in rules.calendar_view(ALEX, m.CALENDAR, *middle)] == ["Conference", "Lunch"]
        # A store written before the longest duration was recorded works it out on opening.
        with store.transaction() as tx:
            (getattr(tx, "_conn", None) or tx._cur).execute("DELETE FROM meta WHERE key = 'longest_item_s'")
    with open_store(path) as reopened:
        rules = MeetingRules(reopened, Directory.demo())
        assert [i.subject for i in rules.calendar_view(ALEX, m.CALENDAR, *middle)] == ["Conference", "Lunch"]


def test_merged_free_busy_matches_its_definition():
    """The sweep gives, for every interval, the highest level of any event overlapping it."""
    import random

    from ews_propose.rules.availability import _DIGIT, Event, merged_free_busy

    def by_definition(events, start, end, interval):
        digits, slot = [], start
        while slot < end:
            slot_end = min(slot + interval, end)
            digits.append(str(max((_DIGIT[e.busy_type] for e in events if e.start < slot_end and e.end > slot),
                                  default=0)))
            slot = slot_end
        return "".join(digits)

    rng = random.Random(20261201)
    kinds = sorted(_DIGIT)
    for _ in range(500):
        events = []
        for _ in range(rng.randint(0, 8)):
            begins = NOON + timedelta(minutes=rng.randint(-300, 3000))
            events.append(Event(begins, begins + timedelta(minutes=rng.randint(1, 600)), rng.choice(kinds),
                                "id", "", "", False, False, False))
        start = NOON + timedelta(minutes=rng.randint(0, 60))
        end = start + timedelta(minutes=rng.randint(1, 2880))
        interval = timedelta(minutes=rng.choice([5, 15, 30, 60, 1440]))
        assert merged_free_busy(events, start, end, interval) == by_definition(events, start, end, interval)


def test_a_version_1_store_is_migrated_in_place(tmp_path):
    """A store file from before the unread column opens, upgrades, and counts right."""
    import json
    import sqlite3

    path = str(tmp_path / "v1.sqlite3")
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', '1');"
        'CREATE TABLE items (id TEXT PRIMARY KEY, mailbox TEXT NOT NULL, folder TEXT NOT NULL, kind TEXT NOT NULL,'
        ' uid TEXT, start TEXT, "end" TEXT, received TEXT, data TEXT NOT NULL);')
    for n, is_read in enumerate((True, False, False)):
        record = {"id": f"id{n}", "mailbox": ADELE, "folder": "inbox", "kind": "message", "is_read": is_read,
                  "subject": f"Hello {n}"}
        old.execute("INSERT INTO items (id, mailbox, folder, kind, data) VALUES (?, ?, 'inbox', 'message', ?)",
                    (f"id{n}", ADELE.lower(), json.dumps(record)))
    old.commit()
    old.close()
    with SqliteStore(path) as store:
        with store.transaction(write=False) as tx:
            assert tx.counts(ADELE, m.INBOX) == (3, 2)
            version = tx._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            assert version == (str(SCHEMA_VERSION),)


def test_a_copy_is_the_item_as_the_store_gives_it_back_with_the_changes(rules, store):
    meeting = invite(rules, ADELE)
    with store.transaction(write=False) as tx:
        item = tx.get(meeting.id)
    item.start = NOON.replace(microsecond=250)  # as a client may give it; the store keeps whole seconds
    copy = item.copy(id="another", subject="Moved")
    expected = m.from_record(m.to_record(item))
    expected.id, expected.subject = "another", "Moved"
    assert m.to_record(copy) == m.to_record(expected) and copy.start == NOON
    copy.attendees[0].response = m.ACCEPT
    copy.categories.append("Blue")
    assert item.attendees[0].response != m.ACCEPT and item.categories == []  # nothing shared
    with pytest.raises(TypeError):
        item.copy(no_such_field=1)


def test_the_store_file_holds_the_writes_without_its_wal_and_closing_ends_the_checkpoints(tmp_path):
    # Checkpoints run on a thread of the store's own after writes (not inside a commit):
    # the store file alone, copied without its -wal, soon has the item; close stops it.
    import shutil
    import sqlite3
    import threading
    import time

    path = tmp_path / "wal.sqlite3"
    with SqliteStore(str(path)) as store:
        with store.transaction() as tx:
            tx.put(m.Item(id="kept", mailbox=ADELE, folder=m.INBOX, kind=m.MESSAGE, subject="Hello"))
        found = None
        deadline = time.monotonic() + 30
        while found is None and time.monotonic() < deadline:
            shutil.copy(path, tmp_path / "alone.sqlite3")
            alone = sqlite3.connect(tmp_path / "alone.sqlite3")
            try:
                found = alone.execute("SELECT id FROM items WHERE id = 'kept'").fetchone()
            except sqlite3.OperationalError:  # not even the schema checkpointed yet
                found = None
            finally:
                alone.close()
            time.sleep(0.05)
        assert found == ("kept",)
    assert not [t for t in threading.enumerate() if t.name == "ews-propose-checkpoint" and t.is_alive()]
