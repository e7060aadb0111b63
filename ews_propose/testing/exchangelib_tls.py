"""Make exchangelib trust one emulator's CA, through exchangelib's own hook.

exchangelib sends every request through a ``requests`` HTTP adapter of the class
``exchangelib.protocol.BaseProtocol.HTTP_ADAPTER_CLS`` (its documented way to change TLS
validation). :func:`trust` swaps in a subclass of the current class that verifies the
given ``host:port`` addresses against the emulator's CA file, and every other address
exactly as before; :func:`untrust` takes them out again. The class is process-wide, as
exchangelib's setting is; sessions made before the swap keep their adapter.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

_lock = threading.Lock()
_trusted: dict[str, str] = {}  # "host:port" -> CA file
_original: Any = None


def _ca_for(url: str) -> str | None:
    return _trusted.get(urlsplit(url).netloc.lower())


def _adapter_class(base: Any) -> Any:
    class EmulatorCAAdapter(base):
        """Verifies the emulators' addresses against their local CA."""

        def cert_verify(self, conn, url, verify, cert):
            ca = _ca_for(url) if verify is not False else None
            return super().cert_verify(conn, url, ca or verify, cert)

        def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
            ca = _ca_for(request.url) if verify is not False else None
            return super().get_connection_with_tls_context(request, ca or verify, proxies=proxies, cert=cert)

    return EmulatorCAAdapter


def trust(netloc: str, ca_file: str) -> None:
    """exchangelib verifies ``netloc`` ("127.0.0.1:8443") against ``ca_file`` from now on."""
    global _original
    from exchangelib.protocol import BaseProtocol

    with _lock:
        if _original is None:
            _original = BaseProtocol.HTTP_ADAPTER_CLS
            BaseProtocol.HTTP_ADAPTER_CLS = _adapter_class(_original)
        _trusted[netloc.lower()] = ca_file


def untrust(netloc: str) -> None:
    """Forget ``netloc``; the last one out puts exchangelib's adapter class back."""
    global _original
    with _lock:
        _trusted.pop(netloc.lower(), None)
        if not _trusted and _original is not None:
            from exchangelib.protocol import BaseProtocol

            BaseProtocol.HTTP_ADAPTER_CLS = _original
            _original = None
