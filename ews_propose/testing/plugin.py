"""The pytest plugin (entry point ``pytest11: ews_propose``).

Fixtures:
- ``ews_emulator``: a fresh :class:`~ews_propose.testing.EwsEmulator` per test, on a free
  port, with its own SQLite file under ``tmp_path``, or with ``--ews-store
  postgresql://...`` (or the ``ews_store`` ini setting) a schema of its own on that
  database, dropped when the test ends.
- ``ews_emulator_tls``: the same over HTTPS, its certificate from a local CA made under
  ``tmp_path`` (``.ca_file``; ``.exchangelib_config`` uses ``server=`` and trusts it).
- ``ews_server_build``: the emulated build that test gets.

Pick the build with ``@pytest.mark.ews_server_build("15.00.0775.038")``; give several
builds to run the test once per build, or ``--ews-server-build`` for a whole run.
Requests that break the schema of their RequestServerVersion get ErrorSchemaValidation,
as Exchange answers them; ``--ews-lax-schema`` accepts them (a client known to be sloppy).
Nothing here is autouse: a test that asks for neither fixture is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..store import is_url
from ..versions import DEFAULT_BUILD, Build
from .emulator import EwsEmulator
from .postgresql import drop_schema, fresh_schema

MARKER = "ews_server_build"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ews-propose", "EWS emulator (ews_propose.testing)")
    group.addoption("--ews-server-build", default=None, metavar="BUILD",
                    help=f"default emulated Exchange build for the ews_emulator fixture "
                         f"(default {DEFAULT_BUILD}); a test's ews_server_build marker wins")
    group.addoption("--ews-store", default=None, metavar="URL",
                    help="a postgresql:// URL for the emulator fixtures' stores: each test's emulator "
                         "gets a schema of its own there, dropped afterwards (default: an SQLite file "
                         "in the test's tmp_path)")
    parser.addini("ews_store", "default of --ews-store", default="")
    group.addoption("--ews-lax-schema", action="store_true", default=False,
                    help="let the ews_emulator fixtures accept requests that break the EWS schema of their "
                         "RequestServerVersion (default: ErrorSchemaValidation, as Exchange answers)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*builds): emulated Exchange build(s) for the ews_emulator fixture, e.g. "
        f'"15.00.0775.038"; several builds run the test once per build',
    )


def _parse(text: str) -> Build:
    try:
        return Build.parse_server(text)
    except ValueError as exc:
        raise pytest.UsageError(f"{MARKER}: {exc}") from None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None or MARKER not in metafunc.fixturenames:
        return
    builds = [_parse(str(arg)) for arg in marker.args]
    if builds:
        metafunc.parametrize(MARKER, builds, indirect=True, ids=[str(b) for b in builds])


@pytest.fixture
def ews_server_build(request: pytest.FixtureRequest) -> Build:
    """The build this test's emulator reports and gates on."""
    if hasattr(request, "param"):
        return request.param
    option = request.config.getoption("--ews-server-build")
    return _parse(option) if option else DEFAULT_BUILD


def _database(config: pytest.Config) -> str | None:
    """The --ews-store URL the fixtures' stores go to, if any (None: SQLite files)."""
    value = config.getoption("--ews-store") or config.getini("ews_store") or None
    if value is not None and not is_url(value):
        raise pytest.UsageError(f"--ews-store: {value!r} is not a postgresql:// URL")
    return value


@contextmanager
def _running(config: pytest.Config, build: Build, tmp_path: Path, tls: bool) -> Iterator[EwsEmulator]:
    database = _database(config)
    strict = not config.getoption("--ews-lax-schema")
    if database is None:
        emulator = EwsEmulator(tmp_path / "ews-emulator.sqlite3", build=build, tls=tls, strict_schema=strict)
        schema = None
    else:
        schema, store = fresh_schema(database)
        emulator = EwsEmulator(store, build=build, tls=tls, work_dir=tmp_path, strict_schema=strict)
    try:
        emulator.start()
        yield emulator
    finally:
        emulator.stop()
        if schema is not None:
            drop_schema(database, schema)


@pytest.fixture
def ews_emulator(request: pytest.FixtureRequest, ews_server_build: Build, tmp_path: Path) -> Iterator[EwsEmulator]:
    """A running emulator with the demo mailboxes, its own store, a request log and fault injection."""
    with _running(request.config, ews_server_build, tmp_path, tls=False) as emulator:
        yield emulator


@pytest.fixture
def ews_emulator_tls(request: pytest.FixtureRequest, ews_server_build: Build,
                     tmp_path: Path) -> Iterator[EwsEmulator]:
    """Like ``ews_emulator``, over HTTPS: ``.endpoint`` is https, ``.ca_file`` the CA to trust."""
    with _running(request.config, ews_server_build, tmp_path, tls=True) as emulator:
        yield emulator
