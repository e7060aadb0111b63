"""Stored records read back as they were written, on both backends: through the fast
reader (orjson, store/schema.py ``load``), and on SQLite also the rows it refuses (what
json writes and reads but orjson does not: the escape of an unpaired surrogate)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from ews_propose.rules.model import Attendee, Item, Person
from ews_propose.store import open_store
from ews_propose.store.schema import item_row

from . import stores


def meeting(item_id: str, subject: str) -> Item:
    start = datetime(2031, 2, 3, 9, tzinfo=UTC)
    return Item(id=item_id, mailbox="MeganB@contoso.com", folder="calendar", kind="calendar_item",
                change_key="CK1", subject=subject, body="b\u00e9 \U0001F600", start=start,
                end=datetime(2031, 2, 3, 10, tzinfo=UTC), uid=f"uid-{item_id}", is_meeting=True,
                organizer=Person("MeganB@contoso.com", "Megan"),
                attendees=[Attendee("AlexW@contoso.com", "Alex", proposed_start=start,
                                    proposed_end=datetime(2031, 2, 3, 9, 30, tzinfo=UTC))])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_records_read_back_whichever_reader_takes_them(backend, tmp_path):
    lone = "half \ud83d of a pair"  # json.dumps writes "\ud83d"; orjson refuses to read it
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(item_row(meeting("x", lone))[8])
    plain, odd = meeting("plain", "Plan & <review>"), meeting("odd", lone)
    if backend == "postgresql":
        # PostgreSQL's json type refuses such text on the way in, and both surfaces refuse
        # it in requests (an unpaired surrogate cannot be written in XML; Graph answers 400):
        # only a SQLite store an older version wrote can hold one.
        odd = meeting("odd", "no pair here")
        lone = odd.subject
    with open_store(stores.store_on(backend, tmp_path, "records.sqlite3")) as store:
        with store.transaction() as tx:
            tx.put(plain)
            tx.put(odd)
        with store.transaction(write=False) as tx:
            for item in (plain, odd):
                again = tx.get(item.id)
                assert again == item
                assert item_row(again) == item_row(item)
            view = tx.calendar_view("meganb@contoso.com", "calendar", datetime(2031, 2, 3, tzinfo=UTC),
                                    datetime(2031, 2, 4, tzinfo=UTC))
            assert sorted(i.subject for i in view) == sorted([plain.subject, lone])
