"""``ews-propose seed``: many appointments in one calendar, readable by any client."""

from __future__ import annotations

import os
import subprocess
import sys

from exchangelib import EWSDateTime, EWSTimeZone

from ews_propose.testing import EwsEmulator

from .terminal import run_in_terminal

CLI = [sys.executable, "-m", "ews_propose", "seed"]
UTC = EWSTimeZone("UTC")


def seed(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)


def test_seeded_appointments_are_what_exchangelib_reads(tmp_path):
    store = tmp_path / "big.sqlite3"
    run = seed("--items", "1205", "--mailbox", "AdeleV@contoso.com", "--store", str(store),
               "--start", "2031-02-03", "--per-day", "10")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("seeded 1205 appointments into AdeleV@contoso.com's Calendar over 121 days")
    assert "\x1b[" not in run.stdout + run.stderr  # no bar without a terminal
    with EwsEmulator(store) as ews:
        adele = ews.exchangelib_account("AdeleV@contoso.com")
        assert adele.calendar.total_count == 1205
        day = list(adele.calendar.view(start=EWSDateTime(2031, 2, 3, tzinfo=UTC),
                                       end=EWSDateTime(2031, 2, 4, tzinfo=UTC)))
        assert [(i.start.hour, i.start.minute) for i in sorted(day, key=lambda i: i.start)] == \
            [(8 + n // 2, 30 * (n % 2)) for n in range(10)]
        assert all(i.subject.startswith("Seeded appointment ") for i in day)
        last = list(adele.calendar.view(start=EWSDateTime(2031, 6, 3, tzinfo=UTC),
                                        end=EWSDateTime(2031, 6, 4, tzinfo=UTC)))
        assert len(last) == 5  # 1205 = 120 full days + 5
        assert ews.exchangelib_account("AlexW@contoso.com").calendar.total_count == 0


def test_seeding_again_adds(tmp_path):
    store = tmp_path / "s.sqlite3"
    for _ in range(2):
        assert seed("--items", "30", "--store", str(store), "--start", "2031-01-06").returncode == 0
    with EwsEmulator(store) as ews:
        assert ews.exchangelib_account("AlexW@contoso.com").calendar.total_count == 60


def test_usage_errors(tmp_path):
    store = str(tmp_path / "s.sqlite3")
    for args, words in ((["--items", "0"], "not at least 1"), (["--items", "x"], "invalid number"),
                        (["--items", "5", "--mailbox", "nobody@contoso.com"], "not a mailbox"),
                        (["--items", "5", "--per-day", "49"], "at most 48"),
                        (["--items", "5", "--start", "tomorrow"], "invalid date")):
        run = seed(*args, "--store", store)
        assert run.returncode == 2 and words in run.stderr, (args, run.stderr)
    (tmp_path / "file").write_text("")
    run = seed("--items", "5", "--store", str(tmp_path / "file" / "sub" / "s.sqlite3"))
    assert run.returncode == 2 and "cannot create the folder" in run.stderr
    run = seed("--items", "5", "--store", str(tmp_path / "missing" / "s.sqlite3"))
    assert run.returncode == 0, run.stderr  # the store's folder is made, as serve makes it


def test_on_a_terminal_a_progress_bar_counts_the_items(tmp_path):
    status, screen = run_in_terminal([*CLI, "--items", "30000", "--store", str(tmp_path / "s.sqlite3")],
                                     dict(os.environ))
    assert status == 0, screen
    assert "seeding AlexW@contoso.com" in screen and "/30000" in screen, screen
    assert "seeded 30000 appointments into AlexW@contoso.com's Calendar over 1500 days" in screen
