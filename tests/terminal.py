"""Run a command under a pseudo-terminal, as a person runs it, and read what it drew."""

from __future__ import annotations

import os
import pty
import re
import subprocess


def run_in_terminal(command: list[str], env: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    """(exit status, the screen's text without escape sequences)."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(command, stdout=secondary, stderr=secondary, stdin=subprocess.DEVNULL,
                            env={**env, "TERM": "xterm-256color", "COLUMNS": "120"})
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    status = proc.wait(timeout=timeout)
    return status, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
