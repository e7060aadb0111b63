"""The Host header, checked before any served document quotes it.

The WSDL's service address and Autodiscover's EWS URL name the emulator as the client
reached it. A Host header is used only when it is a host name, an IPv4 address or a
bracketed IPv6 address, with an optional port; anything else (quotes, angle brackets,
spaces, non-ASCII, a port past 65535) gives the server's own address instead, so no
request value is pasted unescaped into a document.
"""

from __future__ import annotations

import re

_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?)(?::(\d{1,5}))?")


def request_host(environ: dict) -> str:
    """``host[:port]`` for URLs in answers: the Host header when valid, else the server's own."""
    host = environ.get("HTTP_HOST") or ""
    found = _HOST.fullmatch(host)
    if found and (found.group(1) is None or int(found.group(1)) <= 65535):
        return host
    return f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
