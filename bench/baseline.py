"""The baseline for bench/wire.py: a minimal hand-written lxml WSGI handler, on the same
server software (waitress, same threads and workers) as the emulator, answering GetItem
with bytes identical to the emulator's answer.

It does what any SOAP handler must (read the body, parse it with lxml, find the ItemId,
check the credentials) and nothing else: no store, no rules, no serialization.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys

from lxml import etree
from waitress.server import create_server

ITEM_ID = "{http://schemas.microsoft.com/exchange/services/2006/types}ItemId"


def make_app(response: bytes, item_id: str, authorization: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)

    def app(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if environ.get("HTTP_AUTHORIZATION") != authorization:
            start_response("401 Unauthorized", [("Content-Length", "0")])
            return [b""]
        found = etree.fromstring(body, parser).find(f".//{ITEM_ID}")
        if found is None or found.get("Id") != item_id:
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                  ("Content-Length", str(len(response)))])
        return [response]

    return app


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--response", required=True, help="file with the emulator's GetItem answer")
    ap.add_argument("--item-id", required=True)
    ap.add_argument("--authorization", required=True)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    with open(args.response, "rb") as fh:
        app = make_app(fh.read(), args.item_id, args.authorization)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    print(f"baseline listening on http://127.0.0.1:{sock.getsockname()[1]}/EWS/Exchange.asmx", flush=True)
    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
            create_server(app, sockets=[sock], threads=args.threads).run()
            os._exit(0)
        children.append(pid)

    def stop(*_):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    for pid in children:
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
