"""`ews-propose serve` as a child process: started, read, killed; for the reliability
tests that need several servers on one store, a SIGKILL, or the server's own output."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

ENDPOINT_LINE = re.compile(r"(https?://127\.0\.0\.1:\d+/EWS/Exchange\.asmx)")


class ServerProcess:
    """``python -m ews_propose serve --port 0 ARGS``; ``endpoint`` once it listens.

    stdout and stderr are drained by threads (kept in ``out``/``err``) so a chatty
    server never blocks on a full pipe.
    """

    def __init__(self, *args: str, python_code: str | None = None, command: list[str] | None = None,
                 cwd: str | None = None, env: dict[str, str] | None = None) -> None:
        """``command`` replaces ``python -m ews_propose serve --port 0`` (another install)."""
        if command is None:
            command = [sys.executable, "-c", python_code] if python_code else \
                [sys.executable, "-m", "ews_propose", "serve", "--port", "0"]
        self.proc = subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, errors="replace", cwd=cwd, env=env)
        self.out: list[str] = []
        self.err: list[str] = []
        self._found = threading.Event()
        self.endpoint = ""
        self._readers = [threading.Thread(target=self._drain, args=(self.proc.stdout, self.out, True), daemon=True),
                         threading.Thread(target=self._drain, args=(self.proc.stderr, self.err, False),
                                          daemon=True)]
        for reader in self._readers:
            reader.start()
        deadline = time.monotonic() + 20
        while not self._found.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"server did not start: stdout={self.output} stderr={self.errors}")

    def _drain(self, stream, lines: list[str], look: bool) -> None:
        for line in stream:
            lines.append(line)
            if look and not self._found.is_set():
                m = ENDPOINT_LINE.search(line)
                if m:
                    self.endpoint = m.group(1)
                    self._found.set()

    def wait_output(self, text: str, timeout: float = 10) -> str:
        """The output once ``text`` is in it (the banner comes after the first line)."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"{text!r} never appeared: stdout={self.output} stderr={self.errors}")
            time.sleep(0.02)
        return self.output

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def output(self) -> str:
        return "".join(self.out)

    @property
    def errors(self) -> str:
        return "".join(self.err)

    def peak_rss_kib(self) -> int:
        """The child's peak resident set (VmHWM), from /proc."""
        with open(f"/proc/{self.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise AssertionError("no VmHWM")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self._reap()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reap()

    def _reap(self) -> None:
        self.proc.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=5)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def directory_toml(mailboxes: list[tuple[str, str, str]], extra: dict[str, str] | None = None) -> str:
    """A directory file: (smtp, name, password) users; ``extra`` maps smtp to more TOML lines."""
    parts = []
    for smtp, name, password in mailboxes:
        parts.append(f'[[mailbox]]\nsmtp = "{smtp}"\nname = "{name}"\npassword = "{password}"\n'
                     + ((extra or {}).get(smtp, "")))
    return "\n".join(parts)
