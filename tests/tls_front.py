"""A TLS-terminating front for an emulator on plain HTTP: a self-signed certificate made
with the openssl command, and two pump threads per connection.

Test-side only (clients such as exchangelib build ``https://{server}/...``); when the
server speaks TLS itself this can go.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from pathlib import Path


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 and localhost, valid one day."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    return cert, key


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class TlsFront:
    """Listens on 127.0.0.1 (port 0), speaks TLS, forwards bytes to ``upstream``."""

    def __init__(self, upstream: tuple[str, int], directory: Path) -> None:
        self.upstream = upstream
        self.cert, key = make_certificate(directory)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(self.cert, key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)  # so the accept loop sees `stop`
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tls-front", daemon=True)

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def start(self) -> TlsFront:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._connect, args=(raw,), daemon=True).start()

    def _connect(self, raw: socket.socket) -> None:
        raw.settimeout(None)
        try:
            tls = self._context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):  # a client that refused the certificate
            raw.close()
            return
        try:
            back = socket.create_connection(self.upstream)
        except OSError:
            tls.close()
            return
        for sock in (tls, back):  # no Nagle delay on each small SOAP round trip
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_pump, args=(tls, back), daemon=True).start()
        threading.Thread(target=_pump, args=(back, tls), daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=5)
