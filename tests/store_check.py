"""``ews-propose check`` run as users run it, on a store file the tests produced."""

from __future__ import annotations

import subprocess
import sys


def run_check(store: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ews_propose", "check", "--store", store],
                          capture_output=True, text=True, timeout=120)


def assert_store_clean(store: str) -> str:
    done = run_check(store)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("integrity ok)"), done.stdout
    return done.stdout
