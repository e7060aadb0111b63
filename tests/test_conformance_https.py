"""The suite over HTTPS, as against a real Exchange server: a TLS front (a self-signed
certificate made with openssl) before the emulator; --ca-bundle trusts it, --insecure
skips verification, and without either the run refuses to start."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from ews_propose.conformance import CHECKS

from .test_conformance import conformance, results

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def pump(source: socket.socket, sink: socket.socket) -> None:
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


@pytest.fixture
def https_endpoint(ews_emulator, tmp_path) -> Iterator[tuple[str, str]]:
    """(https endpoint, CA file) of a TLS-terminating proxy in front of the emulator."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    upstream = urlsplit(ews_emulator.endpoint)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)  # so the accept loop sees `stop`
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            raw.settimeout(None)
            try:
                tls = context.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):  # a client that refused our certificate
                raw.close()
                continue
            back = socket.create_connection((upstream.hostname, upstream.port))
            for sock in (tls, back):  # no Nagle delay on each small SOAP round trip
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=pump, args=(tls, back), daemon=True).start()
            threading.Thread(target=pump, args=(back, tls), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}/EWS/Exchange.asmx", str(cert)
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def test_suite_passes_over_https_with_the_servers_ca(https_endpoint):
    endpoint, ca = https_endpoint
    run = conformance(endpoint, "--ca-bundle", ca)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"EWS conformance: {endpoint}" in run.stdout
    assert sum(1 for v in results(run.stdout).values() if v == "PASS") == len(CHECKS) - 1, run.stdout


def test_an_untrusted_certificate_stops_the_run(https_endpoint):
    endpoint, _ = https_endpoint
    run = conformance(endpoint)
    assert run.returncode == 2
    assert "cannot reach" in run.stderr and "CERTIFICATE_VERIFY_FAILED" in run.stderr

    insecure = conformance(endpoint, "--insecure", "--check", "error-missing-reference-item-id")
    assert insecure.returncode == 0, insecure.stdout + insecure.stderr
    assert results(insecure.stdout) == {"error-missing-reference-item-id": "PASS"}
