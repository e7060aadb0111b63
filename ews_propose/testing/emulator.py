"""An emulator for a test: its own port, its own store (an SQLite file, or a schema of its
own on a PostgreSQL database), a log of every call it received, fault injection, and
ready-made clients for its mailboxes.

Nothing here imports pytest: the fixtures live in ``ews_propose.testing.plugin``, and
this class works as well from unittest or a script (``with EwsEmulator(path) as ews:``).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..conformance.wire import SoapLine
from ..directory import KINDS, Directory, Mailbox
from ..server import EmulatorServer, ServerConfig
from ..soap.app import Exchange
from ..store import is_url
from ..tls import TlsFiles, local_tls_files
from ..versions import DEFAULT_BUILD, Build
from .faults import FaultInjector, InjectedCall
from .graph_faults import GraphFaults


@dataclass(frozen=True)
class Credentials:
    """A mailbox's HTTP Basic login."""

    smtp: str
    password: str
    token: str | None = None

    @property
    def basic(self) -> tuple[str, str]:
        """For ``requests``: ``auth=creds.basic``."""
        return (self.smtp, self.password)


@dataclass(frozen=True)
class RecordedRequest:
    """One SOAP call the emulator received, as it crossed the wire.

    ``injected`` names the fault the injector answered in the emulator's place
    (``"server_busy"``, ``"http_503"``), None when the emulator answered.
    """

    operation: str | None
    mailbox: str | None
    request_xml: bytes
    response_xml: bytes
    status: int
    injected: str | None = None


class RequestLog:
    """Every SOAP call, in arrival order. Safe to read while the server runs."""

    def __init__(self) -> None:
        self._calls: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def append(self, call: RecordedRequest) -> None:
        with self._lock:
            self._calls.append(call)

    def _snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._calls)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self._snapshot())

    def __len__(self) -> int:
        return len(self._snapshot())

    def __getitem__(self, index: int) -> RecordedRequest:
        return self._snapshot()[index]

    def of(self, operation: str, mailbox: str | None = None) -> list[RecordedRequest]:
        """Calls of one operation (``"CreateItem"``), optionally from one mailbox."""
        return [c for c in self._snapshot() if c.operation == operation
                and (mailbox is None or (c.mailbox or "").lower() == mailbox.lower())]

    def operations(self) -> list[str | None]:
        """The operation of every call, in order: ``["GetFolder", "FindItem", ...]``."""
        return [c.operation for c in self._snapshot()]

    def last(self, operation: str | None = None) -> RecordedRequest:
        calls = self.of(operation) if operation else self._snapshot()
        if not calls:
            raise LookupError(f"no {operation or 'SOAP'} call was received")
        return calls[-1]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


class EwsEmulator:
    """An emulator on a free port over a real socket, with its own store.

    ``store`` is an SQLite file's path or a ``postgresql://`` URL (the store is then that
    database's tables in the URL's search_path: give each emulator a schema of its own,
    as :func:`ews_propose.testing.postgresql.fresh_schema` makes them).

    Hosts the demo mailboxes (``AlexW@contoso.com`` ... see the README) plus any added
    with :meth:`add_mailbox`.
    """

    def __init__(self, store: str | Path, build: Build | str = DEFAULT_BUILD,
                 directory: Directory | None = None, host: str = "127.0.0.1", threads: int = 4,
                 tls: bool = False, work_dir: str | Path | None = None, strict_schema: bool = True) -> None:
        """``tls=True`` serves HTTPS with a certificate from a local CA made in ``tls/``
        under ``work_dir`` (:attr:`ca_file`); ``work_dir`` defaults to the SQLite file's
        folder, and must be given with a database URL. ``strict_schema=False`` accepts
        requests that break the schema of their RequestServerVersion (by default they get
        ErrorSchemaValidation, as Exchange answers them)."""
        self.build = Build.parse_server(build) if isinstance(build, str) else build
        self.store = str(store)
        on_database = is_url(self.store)
        if work_dir is None and tls and on_database:
            raise ValueError("EwsEmulator(tls=True) on a database store needs work_dir= for its certificates")
        self.store_path = None if on_database else Path(store)
        self.work_dir = Path(work_dir) if work_dir is not None else (
            self.store_path.parent if self.store_path is not None else None)
        self.directory = directory if directory is not None else Directory.demo()
        self.requests = RequestLog()
        self.faults: FaultInjector
        self.tls: TlsFiles | None = local_tls_files(self.work_dir / "tls", host) if tls else None
        self.graph_faults: GraphFaults
        self._server = EmulatorServer(
            ServerConfig(host=host, port=0, store=self.store, build=self.build, threads=threads,
                         tls=self.tls, strict_schema=strict_schema),
            directory=self.directory,
            observer=self._observed,
            wrap=self._wrap,
            wrap_graph=self._wrap_graph,
        )
        self._lines: list[SoapLine] = []
        self._trusted_by_exchangelib = False
        self._autodiscover_keys: list[Any] = []

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> EwsEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        for line in self._lines:
            line.close()
        if self._autodiscover_keys:
            from exchangelib.autodiscover import autodiscover_cache

            with autodiscover_cache:
                for key in self._autodiscover_keys:
                    if key in autodiscover_cache:
                        del autodiscover_cache[key]
        if self._trusted_by_exchangelib:
            from . import exchangelib_tls

            exchangelib_tls.untrust(self.server)
        self._server.stop()

    def __enter__(self) -> EwsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wrap(self, app: Any) -> FaultInjector:
        self.faults = FaultInjector(app, on_injected=self._injected)
        return self.faults

    def _wrap_graph(self, app: Any) -> GraphFaults:
        self.graph_faults = GraphFaults(app)
        return self.graph_faults

    def _observed(self, exchange: Exchange) -> None:
        self.requests.append(RecordedRequest(exchange.operation, exchange.mailbox, exchange.request,
                                             exchange.response, exchange.status))

    def _injected(self, call: InjectedCall) -> None:
        self.requests.append(RecordedRequest(call.operation, call.mailbox, call.request, call.response,
                                             call.status, injected=call.kind))

    # --- addresses ---------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self._server.endpoint

    @property
    def wsdl_url(self) -> str:
        return self._server.wsdl_url

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def server(self) -> str:
        """``host:port``, what exchangelib's ``Configuration(server=...)`` takes."""
        return self._server.base_url.split("://", 1)[1]

    @property
    def inspector_url(self) -> str:
        """The web inspector (open without credentials: the emulator is on loopback)."""
        return self._server.base_url + "/inspector/"

    @property
    def autodiscover_url(self) -> str:
        """SOAP Autodiscover (GetUserSettings, GetDomainSettings)."""
        return self._server.base_url + "/autodiscover/autodiscover.svc"

    @property
    def pox_autodiscover_url(self) -> str:
        """POX Autodiscover (Outlook schema 2006a)."""
        return self._server.base_url + "/autodiscover/autodiscover.xml"

    @property
    def ca_file(self) -> Path | None:
        """The local CA's certificate (PEM) an HTTPS emulator's certificate chains to."""
        return self.tls.ca if self.tls is not None else None

    @property
    def graph_url(self) -> str:
        """The Graph service root, ``http://127.0.0.1:PORT/v1.0`` (an SDK's ``base_url``)."""
        return self._server.graph_url

    def graph_token(self, smtp: str) -> str:
        """The bearer token that signs in to Graph (and EWS) as this mailbox."""
        token = self.credentials(smtp).token
        if not token:
            raise KeyError(f"{smtp} has no bearer token")
        return token

    # --- mailboxes ---------------------------------------------------------------------

    def add_mailbox(self, smtp: str, name: str | None = None, kind: str = "user",
                    password: str | None = None, token: str | None = None) -> Credentials:
        """Host one more mailbox (``kind`` "user" or "room") and return its login; the
        password is random unless given; so is its bearer ``token`` (for Graph, and EWS)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        password = password or secrets.token_urlsafe(12)
        token = token or secrets.token_urlsafe(24)
        self.directory.add(Mailbox(smtp, name or smtp.split("@")[0], password, kind, token=token))
        return Credentials(smtp, password, token)

    def credentials(self, smtp: str) -> Credentials:
        mailbox = self.directory.get(smtp)
        if mailbox is None:
            raise KeyError(f"{smtp} is not a mailbox of this emulator")
        return Credentials(mailbox.smtp, mailbox.password or "", mailbox.token)

    # --- clients -----------------------------------------------------------------------

    def soap(self, smtp: str, version: str | None = "Exchange2013") -> SoapLine:
        """A raw SOAP line for one mailbox (``.call("<m:GetFolder>...")``, ``.find_items``...)."""
        creds = self.credentials(smtp)
        verify: bool | str = str(self.ca_file) if self.ca_file is not None else True
        line = SoapLine(self.endpoint, creds.smtp, creds.password, version=version, timeout=30, verify=verify)
        self._lines.append(line)
        return line

    def exchangelib_config(self, smtp: str, retry_policy: Any = None, version: Any = None) -> Any:
        """An ``exchangelib.Configuration`` for one mailbox, with Basic auth: on the
        plain-HTTP endpoint (``service_endpoint=``; ``server=`` would build an https URL),
        or, for an HTTPS emulator, ``server="host:port"`` with its CA trusted."""
        from exchangelib import BASIC, Configuration
        from exchangelib import Credentials as ExchangelibCredentials

        creds = self.credentials(smtp)
        kwargs: dict[str, Any] = {"auth_type": BASIC,
                                  "credentials": ExchangelibCredentials(creds.smtp, creds.password)}
        if self.tls is not None:
            # Over HTTPS exchangelib builds the endpoint itself, from server=, and
            # verifies it against this emulator's CA (see testing/exchangelib_tls.py).
            from . import exchangelib_tls

            exchangelib_tls.trust(self.server, str(self.ca_file))
            self._trusted_by_exchangelib = True
            kwargs["server"] = self.server
        else:
            kwargs["service_endpoint"] = self.endpoint
        if retry_policy is not None:
            kwargs["retry_policy"] = retry_policy
        if version is not None:
            kwargs["version"] = version
        return Configuration(**kwargs)

    def exchangelib_account(self, smtp: str, retry_policy: Any = None, version: Any = None) -> Any:
        """An ``exchangelib.Account`` (DELEGATE, no autodiscover) for one mailbox."""
        from exchangelib import DELEGATE, Account

        config = self.exchangelib_config(smtp, retry_policy=retry_policy, version=version)
        return Account(self.credentials(smtp).smtp, config=config, autodiscover=False, access_type=DELEGATE)

    def exchangelib_autodiscover_account(self, smtp: str) -> Any:
        """An ``exchangelib.Account`` made with ``autodiscover=True``, its EWS endpoint,
        version and primary address found through this emulator's SOAP Autodiscover.

        exchangelib 5.6 starts Autodiscover from DNS for the address's domain; its own
        Autodiscover cache (``exchangelib.autodiscover.autodiscover_cache``, keyed by
        domain and credentials) is the supported way to name the Autodiscover server
        instead. The entry is made here and removed when the emulator stops.
        """
        from exchangelib import BASIC, DELEGATE, Account, Configuration
        from exchangelib import Credentials as ExchangelibCredentials
        from exchangelib.autodiscover import AutodiscoverProtocol, autodiscover_cache

        if self.tls is not None:
            from . import exchangelib_tls

            exchangelib_tls.trust(self.server, str(self.ca_file))
            self._trusted_by_exchangelib = True
        creds = self.credentials(smtp)
        credentials = ExchangelibCredentials(creds.smtp, creds.password)
        key = (creds.smtp.rsplit("@", 1)[-1].lower(), credentials)
        protocol = AutodiscoverProtocol(config=Configuration(
            service_endpoint=self.autodiscover_url, credentials=credentials, auth_type=BASIC))
        with autodiscover_cache:
            autodiscover_cache[key] = protocol
        self._autodiscover_keys.append(key)
        return Account(creds.smtp, credentials=credentials, autodiscover=True, access_type=DELEGATE,
                       config=Configuration(credentials=credentials, auth_type=BASIC))

    def client(self, smtp: str, **kwargs: Any) -> Any:
        """The project's own client, ``ews_propose.client.EwsClient``, for one mailbox
        (``kwargs`` go to its constructor, e.g. ``schema_version=``).

        Imported lazily: the harness must not need the client library to load.
        """
        from ..client import EwsClient

        creds = self.credentials(smtp)
        if self.ca_file is not None and "http" not in kwargs:
            kwargs.setdefault("ca_file", str(self.ca_file))
        return EwsClient(self.endpoint, user=creds.smtp, password=creds.password, **kwargs)
