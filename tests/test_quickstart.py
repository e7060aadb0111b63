"""The README's first quick-start command, the way a newcomer runs it: a fresh copy of
the repository (what a clone holds), a fresh empty HOME with no XDG variables, and
`make serve` building its .venv from nothing and answering on its default store.

Slow (it installs the package into a new venv), so it is marked `quickstart`: `make
test` leaves it out and `.ci/run` runs it (`make quickstart-check`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from .ews import Soap
from .server_process import ENDPOINT_LINE
from .snippets import ROOT, snippet

pytestmark = pytest.mark.quickstart
START_BOUND_S = 600  # creating the venv and installing from the registry


def fresh_copy(target: Path) -> None:
    """The files a clone of the current tree would have (tracked and new, not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _other_pythons() -> list[str]:
    """3.12 and 3.13 as .ci/run finds them (pyenv's versions); the README's `make ...
    PYTHON=python3.13` picks one. Missing ones are not run (CI has both)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = []
    for version in ("3.12", "3.13"):
        candidates = sorted(root.glob(f"{version}.*/bin/python{version}"))
        if candidates:
            found.append(str(candidates[-1]))
    return found


@pytest.mark.parametrize("python", [None, *_other_pythons()],
                         ids=lambda p: "default" if p is None else Path(p).name)
def test_make_serve_on_a_fresh_clone_and_home(tmp_path, python):
    assert "make serve" in snippet("quick-start").code and "make serve" in snippet("quick-start-serve").code
    clone, home = tmp_path / "ews-propose", tmp_path / "home"
    clone.mkdir()
    home.mkdir()
    fresh_copy(clone)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "VIRTUAL_ENV", "PYTHON", "PIP_")) and k not in ("MAKEFLAGS", "MFLAGS")}
    env["HOME"] = str(home)
    cache = Path.home() / ".cache" / "pip"
    if cache.is_dir():  # only the download cache is shared: the same packages, fetched once
        env["PIP_CACHE_DIR"] = str(cache)
    # The README's command, with a free port instead of 8765 (another server may hold it).
    command = ["make", "serve", "ARGS=--port 0"] + ([f"PYTHON={python}"] if python else [])
    proc = subprocess.Popen(command, cwd=clone, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if ENDPOINT_LINE.search(line):
                found.set()

    threading.Thread(target=read, daemon=True).start()
    started = time.monotonic()
    try:
        while not found.wait(0.5):
            assert proc.poll() is None, "make serve exited:\n" + "".join(lines)
            assert time.monotonic() - started < START_BOUND_S, "not listening in time:\n" + "".join(lines)
        endpoint = ENDPOINT_LINE.search("".join(lines)).group(1)
        answer = Soap(endpoint, "AlexW@contoso.com").call(
            '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>'
            '<m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>')
        assert answer.text("//t:CalendarFolder/t:DisplayName") == "Calendar"
        store = home / ".local" / "share" / "ews-propose" / "store.sqlite3"
        assert store.is_file(), "".join(lines)
        assert f"store:  {store}" in "".join(lines)
        assert (clone / ".venv" / "bin" / "ews-propose").exists()
        if python:
            version = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c",
                                      "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
                                     capture_output=True, text=True, check=True).stdout.strip()
            assert Path(python).name == f"python{version}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
