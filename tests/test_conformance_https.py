"""The suite over HTTPS, as against a real Exchange server: a TLS front (a self-signed
certificate made with openssl) before the emulator; --ca-bundle trusts it, --insecure
skips verification, and without either the run refuses to start."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from ews_propose.conformance import CHECKS

from .test_conformance import conformance, results
from .tls_front import TlsFront

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture
def https_endpoint(ews_emulator, tmp_path) -> Iterator[tuple[str, str]]:
    """(https endpoint, CA file) of a TLS-terminating proxy in front of the emulator."""
    upstream = urlsplit(ews_emulator.endpoint)
    front = TlsFront((upstream.hostname, upstream.port), tmp_path).start()
    try:
        yield f"https://127.0.0.1:{front.port}/EWS/Exchange.asmx", str(front.cert)
    finally:
        front.stop()


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
