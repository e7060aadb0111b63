"""Running the emulator: a waitress HTTP server around the EWS application."""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from .directory import Directory
from .graph.app import GraphApplication, with_graph
from .inspector import Inspector, is_loopback
from .memory import Reclaimer, reclaiming, tune_allocator
from .rules.limits import Limits
from .soap.app import DEFAULT_MAX_REQUEST_BYTES, EwsApplication, Observer
from .store import open_store
from .store.base import Store
from .tls.ca import TlsFiles
from .versions import DEFAULT_BUILD, Build

ENDPOINT_PATH = "/EWS/Exchange.asmx"
WSDL_PATH = "/EWS/Services.wsdl"
GRAPH_PATH = "/v1.0"

# spyne logs every fault with a traceback; our own layer logs what is a real defect.
logging.getLogger("spyne").setLevel(logging.CRITICAL)


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    store: str = ":memory:"
    build: Build = DEFAULT_BUILD
    threads: int = 4
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    workers: int = 1  # processes sharing the listening socket and the store file
    connection_limit: int = 1000
    tls: TlsFiles | None = None  # serve HTTPS with this certificate (ews_propose.tls)
    inspector: bool = True  # the web inspector at /inspector/ (open on loopback, else behind auth)
    limits: Limits = field(default_factory=Limits)  # per-request bounds (docs/reliability.md)
    # A request's headers must arrive within header_timeout seconds of its first byte, the
    # whole request within body_timeout: a client trickling bytes is cut off, not kept.
    header_timeout: float = 30.0
    body_timeout: float = 120.0
    # Every request (headers and body) validated against wsdl/ for its RequestServerVersion,
    # as Exchange does (issue 13); False accepts a sloppy client (serve --lax-schema).
    strict_schema: bool = True


class EmulatorServer:
    """An emulator on a real socket. ``start()`` serves from a background thread;
    ``serve_forever()`` blocks."""

    def __init__(self, config: ServerConfig, directory: Directory | None = None,
                 store: Store | None = None, observer: Observer | None = None,
                 wrap: Callable[[EwsApplication], Any] | None = None,
                 listening: socket.socket | None = None,
                 wrap_graph: Callable[[GraphApplication], Any] | None = None) -> None:
        """``wrap`` turns the EWS WSGI application into the one served (a middleware:
        fault injection, latency); ``observer`` sees every SOAP call; ``listening`` is a
        socket already bound (worker processes share their parent's)."""
        self.config = config
        self.directory = directory or Directory.demo()
        self.store = store or open_store(config.store)
        self.app = EwsApplication(self.store, self.directory, config.build, config.max_request_bytes,
                                  observer=observer, limits=config.limits,
                                  strict_schema=config.strict_schema)
        # Graph (/v1.0/...) over the same rules, store and directory; the rest is EWS.
        self.graph = GraphApplication(self.app.rules, self.directory, config.max_request_bytes)
        self.wsgi = with_graph(wrap(self.app) if wrap is not None else self.app,
                               wrap_graph(self.graph) if wrap_graph is not None else self.graph)
        self.inspector: Inspector | None = None
        if config.inspector:  # in front of both surfaces: it logs EWS and Graph calls
            self.inspector = Inspector(self.app, open_access=is_loopback(config.host))
            self.wsgi = self.inspector.middleware(self.wsgi)
        # Memory back to the system after large requests (ews_propose/memory.py).
        tune_allocator()
        self.reclaimer = Reclaimer()
        self.wsgi = reclaiming(self.wsgi, self.reclaimer)
        # What exists now lives as long as the server: keep it out of every collection.
        gc.freeze()
        where = dict(sockets=[listening]) if listening is not None else dict(host=config.host, port=config.port)
        self._thread: threading.Thread | None = None
        if config.tls is not None:
            from .tls.server import HttpsServer

            if listening is not None:
                raise ValueError("HTTPS cannot share a listening socket between worker processes")
            self._server = HttpsServer(self.wsgi, config.host, config.port, config.tls, config.threads,
                                       max(4 * config.max_request_bytes, config.max_request_bytes + 2**20),
                                       config.connection_limit, header_timeout=config.header_timeout,
                                       body_timeout=config.body_timeout)
            return
        self._server = create_server(
            self.wsgi, threads=config.threads, ident="ews-propose",
            # waitress's default of 100 connections (its own two sockets included) lets
            # 100 idle keep-alive clients lock everyone else out; poll() lifts select()'s
            # 1024-descriptor ceiling, and idle connections go after a minute, not two.
            connection_limit=config.connection_limit, asyncore_use_poll=True, channel_timeout=60,
            # Bodies somewhat over the limit get the EWS 413 fault from the application;
            # waitress stops reading far larger ones early (a plain-text 413).
            max_request_body_size=max(4 * config.max_request_bytes, config.max_request_bytes + 2**20),
            # The address a request without a usable Host header is answered with.
            server_name=f"[{config.host}]" if ":" in config.host else config.host,
            **where)
        _use_channel(self._server, type("_Channel", (_HttpChannel,), {
            "header_timeout": config.header_timeout, "body_timeout": config.body_timeout}))

    @property
    def port(self) -> int:
        return _port_of(self._server)

    @property
    def base_url(self) -> str:
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.config.tls is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.base_url + ENDPOINT_PATH

    @property
    def wsdl_url(self) -> str:
        return self.base_url + WSDL_PATH

    @property
    def graph_url(self) -> str:
        return self.base_url + GRAPH_PATH

    @property
    def inspector_url(self) -> str | None:
        return self.base_url + "/inspector/" if self.inspector is not None else None

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._server.run, name="ews-propose", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.run()

    def stop(self) -> None:
        """Close the listening socket and every open connection, then the store."""
        server = self._server
        if self.config.tls is not None:
            server.close()
            if self._thread is not None:
                self._thread.join(timeout=10)
            self.store.close()
            return
        if self._thread is not None and self._thread.is_alive():
            # Keep-alive connections keep waitress's loop running; close them all from
            # inside the loop so it ends at once.
            try:
                server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
            except OSError:  # the loop already closed its trigger: it is ending anyway
                wasyncore.close_all(server._map)
            self._thread.join(timeout=10)
        else:
            server.close()
        server.task_dispatcher.shutdown()
        self.store.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _HttpChannel(HTTPChannel):
    """A TLS ClientHello (an https:// URL pointed at this plain-HTTP port) closes the
    connection at once: otherwise the client waits for a handshake answer and the server
    for a request line, until one of them times out.

    A request whose headers take longer than ``header_timeout`` from its first byte, or
    which takes longer than ``body_timeout`` in all, closes the connection: waitress's
    idle timeout alone lets a client that sends a byte now and then hold a connection
    (and, above the connection cap, keep everyone else out) for ever."""

    header_timeout = 30.0
    body_timeout = 120.0
    _began = 0.0

    def received(self, data: bytes) -> bool:
        if self.request is None and data[:1] == b"\x16":  # TLS handshake record; no HTTP method starts so
            self.will_close = True
            return False
        if self.request is None and data:
            self._began = time.monotonic()
        return super().received(data)

    def readable(self) -> bool:
        # Asked on every turn of the event loop (at least once a second).
        request = self.request
        if request is not None and not self.will_close:
            limit = self.body_timeout if request.headers_finished else self.header_timeout
            if time.monotonic() - self._began > limit:
                self.will_close = True
        return super().readable()


def _use_channel(server: Any, channel: type[HTTPChannel]) -> None:
    sockets = getattr(server, "map", None) or getattr(server, "_map", {})
    for listener in list(sockets.values()):
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel


def _port_of(server: Any) -> int:
    port = getattr(server, "effective_port", None)
    if port is None:  # a MultiSocketServer (pre-bound sockets)
        port = server.effective_listen[0][1]
    return int(port)


class WorkerPool:
    """Several emulator processes on one listening socket and one store file.

    The parent binds the socket and forks; the kernel hands each connection to one
    worker; SQLite's write lock keeps every workflow step atomic across processes.
    """

    def __init__(self, config: ServerConfig, directory: Directory) -> None:
        if config.store == ":memory:":
            raise ValueError("--workers needs a store file: processes cannot share :memory:")
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((config.host, config.port))
        self.sock.listen(1024)
        self.config, self.directory = config, directory
        open_store(config.store).close()  # create the schema once, before the workers race to
        self.children: list[int] = []

    @property
    def endpoint(self) -> str:
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        return f"http://{host}:{self.sock.getsockname()[1]}{ENDPOINT_PATH}"

    @property
    def wsdl_url(self) -> str:
        return self.endpoint.replace(ENDPOINT_PATH, WSDL_PATH)

    @property
    def graph_url(self) -> str:
        return self.endpoint.replace(ENDPOINT_PATH, GRAPH_PATH)

    def serve_forever(self) -> None:
        for _ in range(self.config.workers):
            pid = os.fork()
            if pid == 0:  # a worker: serve until told to stop
                signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                try:
                    EmulatorServer(self.config, self.directory, listening=self.sock).serve_forever()
                finally:
                    os._exit(0)
            self.children.append(pid)
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        try:
            for pid in self.children:
                os.waitpid(pid, 0)
        finally:
            self.stop()

    def stop(self) -> None:
        for pid in self.children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.sock.close()
