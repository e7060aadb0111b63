"""Fixtures: a real emulator on a real socket, with a real store (an SQLite file, or a
schema on a real PostgreSQL server with --store-backend=postgresql), whose every
response is checked against the project's own wsdl/ schemas."""

from __future__ import annotations

import os

import pytest
from lxml import etree

from ews_propose import schemas
from ews_propose.server import EmulatorServer, ServerConfig
from ews_propose.soap.protocol import DEFAULT_REQUEST_SCHEMA
from ews_propose.versions import SCHEMA_VERSIONS, Build

from . import stores
from .ews import NS, Soap
from .stores import store_for

_PG_SERVER = None


def pytest_addoption(parser):
    parser.addoption("--store-backend", choices=stores.BACKENDS, default=None,
                     help=f"the store every emulator of the suite uses (default ${stores.BACKEND_ENV} or sqlite); "
                     f"postgresql uses ${stores.URL_ENV} or starts a server (tests/pg_server.py)")


def pytest_configure(config):
    global _PG_SERVER
    config.addinivalue_line("markers", "server_build(build): emulated Exchange build for the emulator fixture")
    chosen = config.getoption("--store-backend") or os.environ.get(stores.BACKEND_ENV) or "sqlite"
    os.environ[stores.BACKEND_ENV] = chosen  # seen by the helpers and by child processes
    if chosen == "postgresql" and not os.environ.get(stores.URL_ENV):
        from .pg_server import PgServer

        _PG_SERVER = PgServer().start()
        os.environ[stores.URL_ENV] = _PG_SERVER.url
    if chosen == "postgresql" and not config.getoption("--ews-store"):
        config.option.ews_store = os.environ[stores.URL_ENV]  # the plugin's fixtures too


def pytest_report_header(config):
    if stores.on_postgresql():
        return f"store backend: postgresql ({os.environ[stores.URL_ENV]})"
    return "store backend: sqlite"


def pytest_unconfigure(config):
    global _PG_SERVER
    if _PG_SERVER is not None:
        _PG_SERVER.stop()
        _PG_SERVER = None
        os.environ.pop(stores.URL_ENV, None)
    elif stores.on_postgresql():
        stores.drop_schemas()


def messages_schema(version: str = SCHEMA_VERSIONS[-1]) -> etree.XMLSchema:
    """wsdl/ as the requested schema version sees it (ews_propose.schemas)."""
    return schemas.messages_schema(version)


def requested_version(request: bytes) -> str:
    """The request's RequestServerVersion (the server's reading of a request without one)."""
    try:
        root = etree.fromstring(request, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return DEFAULT_REQUEST_SCHEMA
    found = root.find(f"{{{NS['s']}}}Header/{{{NS['t']}}}RequestServerVersion")
    version = found.get("Version") if found is not None else None
    return version if version in SCHEMA_VERSIONS else DEFAULT_REQUEST_SCHEMA


def schema_errors(response: bytes, request: bytes | None = None) -> list[str]:
    """Why an EWS answer breaks wsdl/ as the request's schema version sees it (empty when
    it conforms; newest version without a request). Faults are SOAP's own. A streamed
    answer (GetStreamingEvents) is one envelope per part: each is checked."""
    if response.count(b"<?xml") > 1:
        return [p for part in response.split(b"<?xml")[1:] for p in schema_errors(b"<?xml" + part, request)]
    root = etree.fromstring(response)
    body = root.find(f"{{{NS['s']}}}Body")
    problems = []
    schema = messages_schema(requested_version(request) if request is not None else SCHEMA_VERSIONS[-1])
    header = root.find(f"{{{NS['s']}}}Header")
    targets = list(header) if header is not None else []
    targets += [el for el in body if el.tag != f"{{{NS['s']}}}Fault"]
    for el in targets:
        if not schema.validate(etree.ElementTree(el)):
            problems += [f"{el.tag}: {e.message} (line {e.line})" for e in schema.error_log]
    return problems


class Emulator:
    def __init__(self, server: EmulatorServer, exchanges: list) -> None:
        self.server = server
        self.exchanges = exchanges

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def soap(self, user: str, version: str | None = "Exchange2013") -> Soap:
        return Soap(self.endpoint, user, version=version)


@pytest.fixture
def emulator(request, tmp_path):
    marker = request.node.get_closest_marker("server_build")
    build = Build.parse(marker.args[0]) if marker else ServerConfig().build
    exchanges: list = []
    server = EmulatorServer(
        ServerConfig(port=0, store=store_for(tmp_path), build=build),
        observer=exchanges.append,
    ).start()
    try:
        yield Emulator(server, exchanges)
    finally:
        server.stop()
    failures = []
    for ex in exchanges:
        if ex.status in (200, 500):
            for problem in schema_errors(ex.response, ex.request):
                failures.append(f"{ex.operation}: {problem}")
    assert not failures, "responses that break wsdl/:\n" + "\n".join(failures[:20])


@pytest.fixture
def alex(emulator) -> Soap:
    return emulator.soap("AlexW@contoso.com")


@pytest.fixture
def adele(emulator) -> Soap:
    return emulator.soap("AdeleV@contoso.com")
