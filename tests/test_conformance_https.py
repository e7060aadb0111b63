"""The suite over HTTPS, as against a real Exchange server: the emulator serving HTTPS
with a certificate from its own local CA (``ews_emulator_tls``); --ca-bundle trusts the
CA, --insecure skips verification, and without either the run refuses to start."""

from __future__ import annotations

import pytest

from ews_propose.conformance import CHECKS

from .test_conformance import conformance, results


@pytest.fixture
def https_endpoint(ews_emulator_tls) -> tuple[str, str]:
    """(https endpoint, CA file) of an emulator serving HTTPS itself."""
    assert ews_emulator_tls.endpoint.startswith("https://")
    return ews_emulator_tls.endpoint, str(ews_emulator_tls.ca_file)


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
