"""HTTPS for the emulator: cheroot's threaded WSGI server with Python's ssl module.

It offers the interface :class:`ews_propose.server.EmulatorServer` uses of waitress's
server (``run()``, ``close()``, ``effective_port``), so everything above the socket, the
application, the observer and the fault injector, is the same for HTTP and HTTPS.
"""

from __future__ import annotations

import logging
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from .ca import TlsFiles

log = logging.getLogger(__name__)


class HttpsServer:
    def __init__(self, app: Any, host: str, port: int, files: TlsFiles, threads: int,
                 max_request_body_size: int, connection_limit: int, timeout: int = 60) -> None:
        files.context()  # a bad certificate or key is a TlsError now, not at the first client
        self._server = wsgi.Server((host, port), app, numthreads=threads, server_name="ews-propose",
                                   request_queue_size=1024, timeout=timeout)
        self._server.ssl_adapter = BuiltinSSLAdapter(str(files.cert), str(files.key))
        self._server.max_request_body_size = max_request_body_size
        # Keep-alive connections parked between requests (cheroot's default is 10).
        self._server.keep_alive_conn_limit = connection_limit
        self._server.prepare()  # binds and listens now: the port is known, errors surface here

    @property
    def effective_port(self) -> int:
        return int(self._server.bind_addr[1])

    def run(self) -> None:
        self._server.serve()

    def close(self) -> None:
        self._server.stop()
