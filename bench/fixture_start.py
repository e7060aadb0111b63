"""How long the pytest plugin's ``ews_emulator`` fixture takes to give a test its emulator.

    python bench/fixture_start.py [--runs 20]

The fixture (ews_propose/testing/plugin.py) makes an ``EwsEmulator`` on a fresh SQLite
store in the test's temporary folder and starts it on a free port; this times exactly
that, plus the first SOAP call answered (the store and the server thread are then
warm), and stopping it. The first start in a process also imports and compiles what
later ones reuse, so it is printed apart. Target (issue 16): start under 20 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ews_propose.testing import EwsEmulator  # noqa: E402


def one(folder: Path) -> tuple[float, float, float]:
    began = time.perf_counter()
    emulator = EwsEmulator(folder / "ews-emulator.sqlite3").start()
    started = time.perf_counter()
    try:
        line = emulator.soap("AlexW@contoso.com")
        answer = line.call('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>'
                           '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')
        assert answer.status == 200, answer.content[:300]
        answered = time.perf_counter()
    finally:
        emulator.stop()
    stopped = time.perf_counter()
    return (started - began) * 1000, (answered - started) * 1000, (stopped - answered) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        first = one(Path(tmp) / "first")
        runs = []
        for n in range(args.runs):
            folder = Path(tmp) / f"run{n}"
            folder.mkdir()
            runs.append(one(folder))
    starts = sorted(r[0] for r in runs)
    print(f"first start in this process: {first[0]:.1f} ms (imports and compiled tables included)")
    print(f"fixture start over {args.runs} runs: median {statistics.median(starts):.1f} ms, "
          f"max {starts[-1]:.1f} ms (target < 20 ms)")
    print(f"first call answered after start: median {statistics.median(r[1] for r in runs):.1f} ms; "
          f"stop: median {statistics.median(r[2] for r in runs):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
