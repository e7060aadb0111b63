"""The store's change signal (Store.watch), on the backend the suite runs on: a commit
that touched a mailbox wakes its watches, in this process and through a second store
object on the same file or database (as another process would be); a rollback, another
mailbox or (PostgreSQL) another schema does not; closing the store ends what it started.

A watch is a hint, so what is asserted is that a wake-up comes (within a generous
wait) and that none came where none should (a wait that ends by its timeout)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from ews_propose.rules.model import Item
from ews_propose.store import open_store

from . import stores

ALEX, ADELE = "AlexW@contoso.com", "AdeleV@contoso.com"
SOON = 15.0  # a wake-up that comes comes within milliseconds; this only bounds a failure
QUIET = 1.0  # how long a watch that should stay asleep is given to wake wrongly


def listening_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ews-propose-listen"]


@pytest.fixture
def location(tmp_path):
    return stores.store_for(tmp_path)


@pytest.fixture
def store(location):
    with open_store(location) as opened:
        yield opened


def settled(watch):
    """The watch once its signal is up and any wake-up of starting it is spent."""
    deadline = time.monotonic() + SOON
    while not watch.reliable:
        assert time.monotonic() < deadline, "the signal never came up"
        time.sleep(0.02)
    while watch.wait(0.3):  # PostgreSQL wakes every watch once its LISTEN connection is up
        pass
    return watch


def message(item_id: str, mailbox: str = ALEX) -> Item:
    return Item(id=item_id, mailbox=mailbox, folder="drafts", kind="message", subject=item_id)


def test_a_commit_wakes_the_watch_of_its_mailbox_and_no_other(store):
    with settled(store.watch([ALEX.upper()])) as alex, settled(store.watch([ADELE])) as adele:
        with store.transaction() as tx:
            tx.put(message("m1"))
        assert alex.wait(SOON)
        assert not adele.wait(QUIET)
        assert not alex.wait(QUIET)  # one commit, one wake-up
        with store.transaction() as tx:
            tx.put_setting(ADELE, "oof", {"on": True})
        assert adele.wait(SOON) and not alex.wait(QUIET)


def test_a_rollback_wakes_nobody(store):
    with settled(store.watch([ALEX])) as alex:
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.put(message("m1"))
            raise RuntimeError("the workflow step failed")
        assert not alex.wait(QUIET)
        with store.transaction() as tx:
            assert tx.get("m1") is None


def test_deletes_wake_the_mailbox_of_what_they_deleted(store):
    with store.transaction() as tx:
        tx.put(message("m1"))
        tx.put_folder({"id": "f1", "mailbox": ALEX, "parent": "msgfolderroot", "name": "Projects"})
    with settled(store.watch([ALEX])) as alex:
        with store.transaction() as tx:
            tx.delete("m1")
        assert alex.wait(SOON)
        with store.transaction() as tx:
            tx.delete("not-there")  # touches nothing
        assert not alex.wait(QUIET)
        with store.transaction() as tx:
            tx.delete_folder("f1")
        assert alex.wait(SOON)


def test_a_commit_through_another_store_on_the_same_data_wakes_the_watch(store, location):
    """A second store object has its own connections and in-process signal, as another
    process would: the watch hears of its commits through the database (PostgreSQL's
    NOTIFY) or the file (SQLite's data_version)."""
    with open_store(location) as other, settled(store.watch([ALEX])) as alex:
        with other.transaction() as tx:
            tx.put(message("m2"))
        assert alex.wait(SOON)
        with store.transaction(write=False) as tx:
            assert tx.get("m2").subject == "m2"


@pytest.mark.skipif(not stores.on_postgresql(), reason="schemas: PostgreSQL")
def test_a_store_in_another_schema_wakes_nobody_here(store, tmp_path):
    with open_store(stores.store_for(tmp_path)) as elsewhere, settled(store.watch([ALEX])) as alex:
        assert elsewhere.channel != store.channel
        with elsewhere.transaction() as tx:
            tx.put(message("m3"))
        assert not alex.wait(QUIET)
        with store.transaction() as tx:
            tx.put(message("m4"))
        assert alex.wait(SOON)


@pytest.mark.skipif(not stores.on_postgresql(), reason="the LISTEN connection: PostgreSQL")
def test_the_listen_connection_comes_back_and_close_ends_it(store):
    import psycopg

    before = len(listening_threads())
    with settled(store.watch([ALEX])) as alex:
        assert len(listening_threads()) == before + 1
        # Cut the listening session from the server side, as a restart or a network cut would.
        with psycopg.connect(os.environ[stores.URL_ENV], autocommit=True) as admin:
            cut = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s",
                                (f'LISTEN "{store.channel}"',)).fetchall()
        assert cut == [(True,)]
        # Whatever happened while nobody listened, every watch is woken once it is back ...
        assert alex.wait(SOON)
        settled(alex)
        # ... and commits wake it again.
        with store.transaction() as tx:
            tx.put(message("m5"))
        assert alex.wait(SOON)
    store.close()
    assert len(listening_threads()) == before


def test_channel_names_fit_postgresql_and_keep_schemas_apart():
    from ews_propose.store.postgresql import channel_for

    assert channel_for("ews_test_1") == "ews_propose.ews_test_1"
    long_a, long_b = "a" * 63, "a" * 62 + "b"  # the longest schema names PostgreSQL takes
    assert len(channel_for(long_a).encode()) <= 63
    assert channel_for(long_a) != channel_for(long_b)
