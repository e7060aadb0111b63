"""The pytest plugin (entry point ``pytest11: ews_propose``).

Fixtures:
- ``ews_emulator``: a fresh :class:`~ews_propose.testing.EwsEmulator` per test, on a free
  port, with its own SQLite file under ``tmp_path``.
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
from pathlib import Path

import pytest

from ..versions import DEFAULT_BUILD, Build
from .emulator import EwsEmulator

MARKER = "ews_server_build"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ews-propose", "EWS emulator (ews_propose.testing)")
    group.addoption("--ews-server-build", default=None, metavar="BUILD",
                    help=f"default emulated Exchange build for the ews_emulator fixture "
                         f"(default {DEFAULT_BUILD}); a test's ews_server_build marker wins")
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


@pytest.fixture
def ews_emulator(ews_server_build: Build, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[EwsEmulator]:
    """A running emulator with the demo mailboxes, its own store, a request log and fault injection."""
    emulator = EwsEmulator(tmp_path / "ews-emulator.sqlite3", build=ews_server_build,
                           strict_schema=not request.config.getoption("--ews-lax-schema")).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def ews_emulator_tls(ews_server_build: Build, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[EwsEmulator]:
    """Like ``ews_emulator``, over HTTPS: ``.endpoint`` is https, ``.ca_file`` the CA to trust."""
    emulator = EwsEmulator(tmp_path / "ews-emulator.sqlite3", build=ews_server_build, tls=True,
                           strict_schema=not request.config.getoption("--ews-lax-schema")).start()
    try:
        yield emulator
    finally:
        emulator.stop()
