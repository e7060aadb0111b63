"""HTTPS for the emulator: cheroot's threaded WSGI server with Python's ssl module.

It offers the interface :class:`ews_propose.server.EmulatorServer` uses of waitress's
server (``run()``, ``close()``, ``effective_port``), so everything above the socket, the
application, the observer and the fault injector, is the same for HTTP and HTTPS.

Two changes to cheroot's way of serving, so that slow or silent clients cannot keep
others out (the same guarantees as the plain-HTTP server, docs/reliability.md):

- The TLS handshake runs on a request thread, not on the thread that accepts
  connections: cheroot's adapter shakes hands there, so one client that opens a
  connection and sends nothing stalled every new connection for the socket timeout.
- Each request has deadlines: its headers within ``header_timeout`` seconds of the
  thread starting to read it, the whole request within ``body_timeout``. cheroot's own
  timeout is per read, so a client sending a byte now and then held a request thread
  (there are ``--threads`` of them) for ever.
"""

from __future__ import annotations

import _pyio
import logging
import socket
import ssl
import time
from typing import Any

from cheroot import wsgi
from cheroot.makefile import MakeFile
from cheroot.server import HTTPConnection
from cheroot.ssl.builtin import BuiltinSSLAdapter

from .ca import TlsFiles

log = logging.getLogger(__name__)

_PLAIN_HTTP_ANSWER = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                      b"Content-Length: 64\r\n\r\n"
                      b"The client sent a plain HTTP request, but this port speaks HTTPS.")


class _Clock:
    """The deadlines of the request a connection is reading."""

    def __init__(self, header_timeout: float, body_timeout: float, idle_timeout: float) -> None:
        self.header_timeout, self.body_timeout, self.idle_timeout = header_timeout, body_timeout, idle_timeout
        self.began = time.monotonic()
        self.headers_done = False
        self._line_ended = True

    def start(self) -> None:
        self.began = time.monotonic()
        self.headers_done = False
        self._line_ended = True

    def remaining(self) -> float:
        limit = self.body_timeout if self.headers_done else self.header_timeout
        return self.began + limit - time.monotonic()

    def saw_line(self, line: bytes) -> None:
        # The empty line that ends the headers (a whole line, not the tail of a long one).
        if not self.headers_done and self._line_ended and line in (b"\r\n", b"\n"):
            self.headers_done = True
        self._line_ended = line.endswith(b"\n")


class _DeadlineSocketIO(socket.SocketIO):
    def __init__(self, sock: socket.socket, clock: _Clock) -> None:
        super().__init__(sock, "rb")
        self._clock = clock

    def readinto(self, b):
        remaining = self._clock.remaining()
        if remaining <= 0:
            raise TimeoutError("timed out")  # cheroot answers 408 mid-request and closes
        self._sock.settimeout(min(remaining, self._clock.idle_timeout))
        return super().readinto(b)


class _DeadlineReader(_pyio.BufferedReader):
    """cheroot's StreamReader (bytes_read, has_data) over a deadline-checking socket."""

    def __init__(self, sock: socket.socket, clock: _Clock, bufsize: int) -> None:
        super().__init__(_DeadlineSocketIO(sock, clock), bufsize)
        self.bytes_read = 0
        self._clock = clock

    def read(self, *args, **kwargs):
        val = super().read(*args, **kwargs)
        self.bytes_read += len(val)
        return val

    def readline(self, *args, **kwargs):
        line = super().readline(*args, **kwargs)
        self._clock.saw_line(line)
        return line

    def has_data(self) -> bool:
        return len(self._read_buf) > self._read_pos


class _Connection(HTTPConnection):
    def __init__(self, server: Any, sock: socket.socket, makefile: Any = MakeFile) -> None:
        super().__init__(server, sock, makefile)
        self._clock = _Clock(server.header_timeout, server.body_timeout, server.timeout)
        self.rfile = _DeadlineReader(sock, self._clock, self.rbufsize)
        self._shaken = not isinstance(sock, ssl.SSLSocket)

    def close(self):
        # cheroot leaves the writer to the garbage collector, which flushes what it still
        # holds (an answer the client stopped reading) into a socket closed by then:
        # Python 3.13 reports that as an exception in __del__. Send it now, while the
        # socket is open, or drop it if the client is gone.
        try:
            self.wfile.close()
        except OSError:
            pass  # the client went away: what was left cannot reach it
        super().close()

    def communicate(self):
        self._clock.start()
        if not self._shaken and not self._handshake():
            return False
        return super().communicate()

    def _handshake(self) -> bool:
        sock = self.socket
        try:
            sock.settimeout(max(0.001, self._clock.remaining()))
            sock.do_handshake()
        except ssl.SSLError as exc:
            if "http request" in str(exc).lower():  # plain HTTP sent to the HTTPS port
                try:
                    socket.socket.sendall(sock, _PLAIN_HTTP_ANSWER)
                except OSError:
                    pass
            return False
        except OSError:  # gone, or no handshake within the header deadline
            return False
        self._shaken = True
        self.ssl_env = self.server.ssl_adapter.get_environ(sock)
        sock.settimeout(self.server.timeout)
        return True


class _LateHandshakeAdapter(BuiltinSSLAdapter):
    """Wraps without shaking hands: the connection's request thread does that."""

    def wrap(self, sock):
        wrapped = self.context.wrap_socket(sock, do_handshake_on_connect=False, server_side=True)
        return wrapped, {"wsgi.url_scheme": "https", "HTTPS": "on"}


class HttpsServer:
    def __init__(self, app: Any, host: str, port: int, files: TlsFiles, threads: int,
                 max_request_body_size: int, connection_limit: int, timeout: int = 60,
                 header_timeout: float = 30.0, body_timeout: float = 120.0) -> None:
        files.context()  # a bad certificate or key is a TlsError now, not at the first client
        self._server = wsgi.Server((host, port), app, numthreads=threads, server_name="ews-propose",
                                   request_queue_size=1024, timeout=timeout)
        self._server.ssl_adapter = _LateHandshakeAdapter(str(files.cert), str(files.key))
        self._server.ConnectionClass = _Connection
        self._server.header_timeout = header_timeout
        self._server.body_timeout = body_timeout
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
