"""The baselines for bench/wire.py: minimal hand-written lxml WSGI handlers, on the same
server software (waitress, same threads and workers) as the emulator, answering GetItem
with bytes identical to the emulator's answer.

Both do what any SOAP handler must (read the body, parse it with lxml, find the ItemId,
check the credentials). Then:
- ``--mode build`` (the "hand-written lxml handler" of the project's notes): builds the
  response element by element with lxml, as a handler that writes its own XML does, and
  serializes it; no store, no rules;
- ``--mode static``: returns the stored bytes (close to the notes' "static bytes" row).
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


def _builder(template: etree._Element):
    """A function that builds a fresh copy of ``template`` one element at a time, as a
    hand-written handler does: the template is turned once into a flat list of
    (parent, tag, attributes, text); each request replays it with SubElement."""
    steps: list[tuple[int, str, dict, dict | None, str | None]] = []

    def walk(node: etree._Element, parent: int, inherited: dict) -> None:
        declared = {p: u for p, u in node.nsmap.items() if inherited.get(p) != u}
        steps.append((parent, node.tag, dict(node.attrib), declared or None, node.text))
        index = len(steps) - 1
        for child in node:
            walk(child, index, node.nsmap)

    walk(template, -1, {})
    subelement = etree.SubElement

    def build() -> etree._Element:
        _, tag, attrib, nsmap, text = steps[0]
        root = etree.Element(tag, attrib, nsmap=nsmap)
        root.text = text
        made = [root]
        for parent, tag, attrib, nsmap, text in steps[1:]:
            el = subelement(made[parent], tag, attrib, nsmap=nsmap) if nsmap else (
                subelement(made[parent], tag, attrib) if attrib else subelement(made[parent], tag))
            el.text = text
            made.append(el)
        return root

    return build


def make_app(response: bytes, item_id: str, authorization: str, mode: str = "build"):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    build = _builder(etree.fromstring(response))
    if etree.tostring(build(), encoding="utf-8", xml_declaration=True) != response:
        raise SystemExit("baseline: the built response differs from the emulator's bytes")

    def app(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if environ.get("HTTP_AUTHORIZATION") != authorization:
            start_response("401 Unauthorized", [("Content-Length", "0")])
            return [b""]
        found = etree.fromstring(body, parser).find(f".//{ITEM_ID}")
        if found is None or found.get("Id") != item_id:
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return [b""]
        out = response if mode == "static" else etree.tostring(build(), encoding="utf-8", xml_declaration=True)
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                  ("Content-Length", str(len(out)))])
        return [out]

    return app


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--response", required=True, help="file with the emulator's GetItem answer")
    ap.add_argument("--item-id", required=True)
    ap.add_argument("--authorization", required=True)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--mode", choices=("build", "static"), default="build")
    args = ap.parse_args()
    with open(args.response, "rb") as fh:
        app = make_app(fh.read(), args.item_id, args.authorization, args.mode)
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
