"""``ews-propose serve``: run the emulator."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..directory import Directory, DirectoryError
from ..inspector import is_loopback
from ..server import EmulatorServer, ServerConfig, WorkerPool
from ..soap.app import DEFAULT_MAX_REQUEST_BYTES
from ..tls import TlsError, TlsFiles, local_tls_files, own_tls_files, tls_dir_for
from ..versions import DEFAULT_BUILD, Build
from ._common import EXIT_USAGE


def default_store_path() -> str:
    """``$XDG_DATA_HOME/ews-propose/store.sqlite3`` (``~/.local/share/...`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "ews-propose" / "store.sqlite3")


def _build(text: str) -> Build:
    try:
        return Build.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range 0-65535")
    return port


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="run the EWS emulator")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8765, help="port (default 8765; 0 picks a free one)")
    serve.add_argument("--directory", metavar="FILE",
                       help="TOML file of mailboxes (default: the built-in demo mailboxes)")
    serve.add_argument("--store", metavar="PATH|:memory:", default=None,
                       help=f"SQLite store file, or :memory: (default {default_store_path()})")
    serve.add_argument("--server-build", type=_build, default=DEFAULT_BUILD, metavar="X",
                       help=f"emulated Exchange build, e.g. 15.00.0800.007 (default {DEFAULT_BUILD})")
    serve.add_argument("--threads", type=int, default=4, help="request threads per worker (default 4)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="server processes sharing the port and the store file (default 1)")
    serve.add_argument("--max-request-bytes", type=int, default=DEFAULT_MAX_REQUEST_BYTES, metavar="N",
                       help=f"largest request body accepted; larger ones get HTTP 413 "
                       f"(default {DEFAULT_MAX_REQUEST_BYTES})")
    serve.add_argument("--no-inspector", dest="inspector", action="store_false",
                       help="no web inspector at /inspector/ (on by default; without credentials on a "
                       "loopback address, behind the mailboxes' credentials on any other)")
    tls = serve.add_argument_group("HTTPS")
    tls.add_argument("--tls", action="store_true",
                     help="serve HTTPS with a certificate from a local CA, made at the first start "
                     "in tls/ beside the store and reused (its ca.pem path is printed)")
    tls.add_argument("--cert", metavar="PEM", help="serve HTTPS with this certificate (chain) instead; needs --key")
    tls.add_argument("--key", metavar="PEM", help="the private key of --cert")
    serve.set_defaults(run=serve_command)


def _tls_files(args: argparse.Namespace, store: str) -> TlsFiles | None:
    if bool(args.cert) != bool(args.key):
        raise ValueError("--cert and --key go together")
    if (args.tls or args.cert) and args.workers > 1:
        raise ValueError("--tls and --cert serve from one process; leave out --workers")
    if args.cert:
        return own_tls_files(args.cert, args.key)
    if args.tls:
        return local_tls_files(tls_dir_for(store, default_store_path()), args.host)
    return None


def serve_command(args: argparse.Namespace) -> int:
    try:
        directory = Directory.load(args.directory) if args.directory else Directory.demo()
    except DirectoryError as exc:
        print(f"ews-propose: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = args.store or default_store_path()
    try:
        tls = _tls_files(args, store)
    except (TlsError, ValueError) as exc:
        print(f"ews-propose: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"ews-propose: cannot prepare the TLS files: {exc}", file=sys.stderr)
        return 1
    config = ServerConfig(host=args.host, port=args.port, store=store, build=args.server_build,
                          threads=args.threads, max_request_bytes=args.max_request_bytes,
                          workers=args.workers, tls=tls, inspector=args.inspector)
    if args.workers < 1 or args.threads < 1:
        print("ews-propose: --workers and --threads must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        server = WorkerPool(config, directory) if args.workers > 1 else EmulatorServer(config, directory)
    except ValueError as exc:
        print(f"ews-propose: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"ews-propose: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"ews-propose listening on {server.endpoint}", flush=True)
    print(f"  WSDL:   {server.wsdl_url}")
    autodiscover = server.endpoint.replace("/EWS/Exchange.asmx", "/autodiscover/autodiscover")
    print(f"  Autodiscover: {autodiscover}.svc (SOAP), {autodiscover}.xml (POX)")
    if args.inspector:
        where = server.endpoint.replace("/EWS/Exchange.asmx", "/inspector/")
        print(f"  Inspector: {where}" + ("" if is_loopback(args.host) else "  (a mailbox's credentials)"))
    print(f"  build:  {config.build} (newest schema {config.build.newest_schema})")
    print(f"  store:  {store}")
    if tls is not None:
        print(f"  TLS CA: {tls.ca}  (trust this file)" if tls.ca else f"  TLS:    {tls.cert}")
    if args.workers > 1:
        print(f"  workers: {args.workers} processes x {args.threads} threads")
    print("  mailboxes (HTTP Basic):")
    for mailbox in directory:
        # Only the built-in demo passwords are printed; a directory file's stay secret.
        secret = mailbox.password if not args.directory else "(from directory file)"
        print(f"    {mailbox.smtp:<28} {mailbox.kind:<5} {mailbox.name:<22} password: {secret}")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if isinstance(server, WorkerPool):
            server.stop()
        else:
            server.store.close()
    return 0
