"""A real PostgreSQL server for the tests: Debian's packages, a temporary data directory,
a free port, run as an ordinary user (PostgreSQL refuses to run as root; as root the
server runs as the ``postgres`` user that Debian's package makes).

    python -m tests.pg_server [--port N] [--dir DIR]   # start one, print its URL, stop on Ctrl-C

The test suite starts its own when run with ``--store-backend=postgresql`` and no
``EWS_PROPOSE_TEST_PG_URL`` (tests/conftest.py); ``make test-postgresql`` does that.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USER = "ews"
PASSWORD = "ews-test"
INSTALL_HINT = "apt-get install -y postgresql"


class PgServerError(Exception):
    pass


def bin_dir() -> Path:
    """The newest installed server's bin/ (Debian keeps them in /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PgServerError(f"no PostgreSQL server installed (initdb not found); {INSTALL_HINT}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """``start()`` makes the cluster and runs the server; ``stop()`` ends it and removes the directory."""

    def __init__(self, port: int | None = None, directory: str | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PgServerError("running as root and there is no 'postgres' user to run the server as; "
                                    + INSTALL_HINT) from None
            self._as = ["runuser", "-u", "postgres", "--"]
        self._own_dir = directory is None
        # As root, in /tmp: the postgres user must reach the directory (a TMPDIR under
        # /root would be closed to it).
        self.dir = Path(directory or tempfile.mkdtemp(prefix="ews-propose-pg-", dir="/tmp" if self._as else None))

    @property
    def url(self) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str) -> None:
        done = subprocess.run([*self._as, *cmd], capture_output=True, text=True)
        if done.returncode:
            raise PgServerError(f"{' '.join(cmd)} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> PgServer:
        try:
            return self._start()
        except BaseException:
            self.stop()  # and remove the directory
            raise

    def _start(self) -> PgServer:
        bins = bin_dir()
        data = self.dir / "data"
        pwfile = self.dir / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if self._as:
            shutil.chown(self.dir, "postgres")
            shutil.chown(pwfile, "postgres")
        os.chmod(self.dir, 0o700)
        self._run(str(bins / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={pwfile}",
                  "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-sync")
        # Tuned for throwaway test data: no fsync (a crash of the machine loses the data
        # directory anyway), enough connections for many emulators with their pools.
        settings = ["-c", f"port={self.port}", "-c", "listen_addresses=127.0.0.1",
                    "-c", f"unix_socket_directories={self.dir}", "-c", "max_connections=400",
                    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                    "-c", "shared_buffers=64MB", "-c", "log_min_messages=warning"]
        log = open(self.dir / "server.log", "ab")
        self.proc = subprocess.Popen([*self._as, str(bins / "postgres"), "-D", str(data), *settings],
                                     stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PgServerError("the PostgreSQL server stopped at start:\n"
                                    + (self.dir / "server.log").read_text()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                if self._ready():
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise PgServerError(f"the PostgreSQL server did not start on port {self.port} in 30 s")

    def _ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # "fast" shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.pg_server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    parser.add_argument("--dir", default=None, help="data directory's parent (default: a new temporary one)")
    args = parser.parse_args(argv)
    try:
        server = PgServer(args.port, args.dir).start()
    except PgServerError as exc:
        print(f"pg_server: {exc}", file=sys.stderr)
        return 2
    print(f"PostgreSQL on {server.url}  (EWS_PROPOSE_TEST_PG_URL={server.url}); Ctrl-C stops it", flush=True)
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while server.proc is not None and server.proc.poll() is None:
            time.sleep(0.5)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
