"""The emulator's local CA and its server certificates.

Files, in one directory beside the store (``tls/`` next to the SQLite file; for a
``:memory:`` store, next to the default store):

- ``ca.pem``: the CA certificate. Give it to clients (``--ca-bundle``, exchangelib's
  HTTP adapter, ``REQUESTS_CA_BUNDLE``, the system trust store).
- ``ca-key.pem``: the CA's private key (mode 0600). It never leaves this directory.
- ``server.pem`` / ``server-key.pem``: the certificate (with the CA after it) and key
  the server presents, issued anew at every start for the names it answers on.

The CA is made at the first start and reused afterwards, so a client that trusts it once
keeps trusting every later server on that store.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
SERVER_CERT = "server.pem"
SERVER_KEY = "server-key.pem"
ORGANIZATION = "ews-propose local CA"


class TlsError(Exception):
    """A certificate or key that cannot be used; the message names the file."""


@dataclass(frozen=True)
class TlsFiles:
    """What the HTTPS server presents: ``cert`` (a PEM chain) and ``key``; ``ca`` is the
    local CA's certificate when the emulator made them, None for one's own."""

    cert: Path
    key: Path
    ca: Path | None = None

    def context(self) -> ssl.SSLContext:
        """A server context with this certificate, or :class:`TlsError`."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(str(self.cert), str(self.key))
        except FileNotFoundError as exc:
            raise TlsError(f"{exc.filename or self.cert}: no such file") from None
        except (ssl.SSLError, OSError) as exc:
            raise TlsError(f"{self.cert} / {self.key}: not a usable certificate and key ({exc})") from None
        return context


def tls_dir_for(store: str, default_store: str) -> Path:
    """Where the CA lives: ``tls/`` beside the store file (beside ``default_store`` for
    ``:memory:``)."""
    base = default_store if store == ":memory:" else store
    return Path(base).expanduser().resolve().parent / "tls"


def server_names(host: str) -> list[str]:
    """The names and addresses a certificate for a server listening on ``host`` covers:
    loopback always, the listening address, and this machine's names for a wildcard."""
    names = ["localhost", "127.0.0.1", "::1"]
    wildcard = host in ("", "0.0.0.0", "::")
    extra = [socket.gethostname(), socket.getfqdn()] if wildcard else [host]
    for name in extra:
        name = name.strip("[]")
        if name and name not in names and _usable_name(name):
            names.append(name)
    return names


def _usable_name(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    try:
        name.encode("idna")
    except UnicodeError:
        return False
    return all(label and len(label) < 64 and label.replace("-", "").isalnum() for label in name.split("."))


def local_tls_files(directory: Path, host: str) -> TlsFiles:
    """The local CA in ``directory`` (made now if missing) and a fresh server certificate
    for ``host``'s names. Safe when several processes start at once (a file lock)."""
    import trustme  # only HTTPS needs it

    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ca_cert, ca_key = directory / CA_CERT, directory / CA_KEY
        if ca_cert.exists() and ca_key.exists():
            try:
                ca = trustme.CA.from_pem(ca_cert.read_bytes(), ca_key.read_bytes())
            except ValueError as exc:
                raise TlsError(f"{ca_cert} / {ca_key}: not a usable CA ({exc}); "
                               f"remove both to make a new one") from None
        else:
            ca = trustme.CA(organization_name=ORGANIZATION)
            _write(ca_key, ca.private_key_pem.bytes(), secret=True)
            _write(ca_cert, ca.cert_pem.bytes())
        leaf = ca.issue_cert(*server_names(host), common_name="ews-propose", organization_name=ORGANIZATION)
        cert, key = directory / SERVER_CERT, directory / SERVER_KEY
        _write(key, leaf.private_key_pem.bytes(), secret=True)
        _write(cert, b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    files = TlsFiles(cert, key, ca_cert)
    files.context()  # prove it loads
    return files


def own_tls_files(cert: str, key: str) -> TlsFiles:
    """One's own certificate (a PEM chain) and key, checked now."""
    files = TlsFiles(Path(cert).expanduser(), Path(key).expanduser())
    files.context()
    return files


def _write(path: Path, data: bytes, secret: bool = False) -> None:
    """Replace ``path`` atomically; secrets are readable by the owner only."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
